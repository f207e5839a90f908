import AzureStorage
import Foundation
import Hummingbird

extension BlobHandler {
    /// `comp` values Azure defines on a container.
    private static let containerComps: Set<String> = ["metadata", "acl", "list", "lease", "batch", "undelete", "rename", "blobs"]

    /// The container operations (`?restype=container`), dispatched on `comp` first.
    func container(_ request: StorageHTTPRequest, name: String) async throws -> Response {
        let resource = SASResource(service: .blob, container: name, blob: nil)
        let method = request.method
        switch request.query["comp"] {
        case nil:
            switch method {
            case "PUT":
                try await core.authorize(request, .createContainer, resource: nil, permission: .create)
                try refusePublicAccess(request)
                let metadata = request.metadata
                try ResourceNames.validateMetadata(metadata)
                let created = try await core.blobs.createContainer(account: request.account, name: name, metadata: metadata)
                return StorageResponses.make(201, headers: [("ETag", created.etag), ("Last-Modified", StorageResponses.date(created.modifiedMs))])
            case "DELETE":
                try await core.authorize(request, .deleteContainer, resource: nil, permission: .delete)
                let conditions = try BlobConditions(request)
                let files = try await core.blobs.deleteContainer(account: request.account, name: name) { try conditions.checkContainer($0) }
                core.files.remove(files)
                return StorageResponses.make(202)
            case "GET", "HEAD":
                try await core.authorize(request, .getContainerProperties, resource: resource, permission: .read)
                return try await containerProperties(request, name: name)
            default:
                throw StorageServiceError.unsupportedVerb(method, "a container", use: "PUT, GET, HEAD or DELETE")
            }
        case "metadata":
            switch method {
            case "PUT":
                try await core.authorize(request, .setContainerMetadata, resource: nil, permission: .write)
                let metadata = request.metadata
                try ResourceNames.validateMetadata(metadata)
                let conditions = try BlobConditions(request)
                let updated = try await core.blobs.setContainerMetadata(account: request.account, name: name, metadata: metadata) {
                    try conditions.checkContainer($0)
                }
                return StorageResponses.make(200, headers: [("ETag", updated.etag), ("Last-Modified", StorageResponses.date(updated.modifiedMs))])
            case "GET", "HEAD":
                try await core.authorize(request, .getContainerMetadata, resource: resource, permission: .read)
                return try await containerProperties(request, name: name)
            default:
                throw StorageServiceError.unsupportedVerb(method, "container metadata", use: "PUT, GET or HEAD")
            }
        case "acl":
            switch method {
            case "PUT":
                // Changing policies is the account owner's: no service SAS may (Azure: AuthorizationFailure).
                try await core.authorize(request, .setContainerACL, resource: nil, permission: .write)
                return try await setContainerACL(request, name: name)
            case "GET", "HEAD":
                try await core.authorize(request, .getContainerACL, resource: nil, permission: .read)
                let (container, policies) = try await core.policies.containerPolicies(account: request.account, name: name)
                let headers = [("ETag", container.etag), ("Last-Modified", StorageResponses.date(container.modifiedMs))]
                guard method == "GET" else { return StorageResponses.make(200, headers: headers) }
                return StorageResponses.xmlText(200, StoredAccessPolicy.xml(policies), headers: headers)
            default:
                throw StorageServiceError.unsupportedVerb(method, "a container ACL", use: "PUT, GET or HEAD")
            }
        case "list":
            guard method == "GET" else { throw StorageServiceError.unsupportedVerb(method, "List Blobs", use: "GET") }
            try await core.authorize(request, .listBlobs, resource: resource, permission: .list)
            return try await listBlobs(request, container: name)
        case let comp?:
            try await core.authenticator.authenticate(request, resource: nil, permission: .write)
            throw StorageServiceError.unsupportedComp(comp, on: "a container (leases, batches, restore and rename are not implemented)", known: Self.containerComps)
        }
    }

    /// Public (anonymous) access is off on this service, as on new Azure accounts: asking for it
    /// is Azure's 409.
    private func refusePublicAccess(_ request: StorageHTTPRequest) throws(StorageServiceError) {
        guard let access = request.header("x-ms-blob-public-access"), !access.isEmpty else { return }
        throw StorageServiceError(
            409, .publicAccessNotPermitted,
            "Public access is not permitted on this storage account: the built-in service has no anonymous access. Leave x-ms-blob-public-access out and hand out a SAS instead."
        )
    }

    private func containerProperties(_ request: StorageHTTPRequest, name: String) async throws -> Response {
        let container = try await core.blobs.container(account: request.account, name: name)
        return StorageResponses.make(200, headers: [
            ("ETag", container.etag), ("Last-Modified", StorageResponses.date(container.modifiedMs)),
            ("x-ms-lease-status", "unlocked"), ("x-ms-lease-state", "available"),
            ("x-ms-has-immutability-policy", "false"), ("x-ms-has-legal-hold", "false"),
            ("x-ms-default-encryption-scope", "$account-encryption-key"), ("x-ms-deny-encryption-scope-override", "false"),
        ] + StorageResponses.metadataHeaders(container.metadata))
    }

    private func setContainerACL(_ request: StorageHTTPRequest, name: String) async throws -> Response {
        try refusePublicAccess(request)
        let policies = try await AccessPolicyBody.read(request, service: .blob)
        let conditions = try BlobConditions(request)
        let updated = try await core.policies.setContainerPolicies(account: request.account, name: name, policies: policies) {
            try conditions.checkContainer($0)
        }
        return StorageResponses.make(200, headers: [("ETag", updated.etag), ("Last-Modified", StorageResponses.date(updated.modifiedMs))])
    }

    private func listBlobs(_ request: StorageHTTPRequest, container: String) async throws -> Response {
        let listing = try ListingRequest(request, includes: ListingRequest.blobIncludes)
        let delimiter = request.query["delimiter"]
        let includes = listing.includes
        let (entries, next) = try await core.blobs.listBlobs(
            account: request.account, container: container, prefix: listing.prefix, delimiter: delimiter, marker: listing.marker, limit: listing.limit
        )
        var writer = StorageXMLWriter()
        listing.openEnumeration(&writer, attributes: [("ContainerName", container)])
        if let delimiter { writer.element("Delimiter", delimiter) }
        writer.open("Blobs")
        for entry in entries {
            switch entry {
            case .prefix(let name):
                writer.open("BlobPrefix")
                writer.element("Name", name)
                writer.close("BlobPrefix")
            case .blob(let blob):
                Self.write(blob, includeMetadata: includes.contains("metadata"), to: &writer)
            }
        }
        writer.close("Blobs")
        writer.element("NextMarker", next ?? "")
        writer.close("EnumerationResults")
        return StorageResponses.xml(200, writer)
    }

    private static func write(_ blob: StoredBlob, includeMetadata: Bool, to writer: inout StorageXMLWriter) {
        writer.open("Blob")
        writer.element("Name", blob.name)
        writer.open("Properties")
        writer.element("Creation-Time", StorageResponses.date(blob.createdMs))
        writer.element("Last-Modified", StorageResponses.date(blob.modifiedMs))
        writer.element("Etag", blob.etag)
        writer.element("Content-Length", String(blob.size))
        writer.element("Content-Type", blob.contentType)
        writer.element("Content-Encoding", blob.contentEncoding ?? "")
        writer.element("Content-Language", blob.contentLanguage ?? "")
        writer.element("Content-CRC64", "")
        writer.element("Content-MD5", blob.contentMD5.map { Data($0).base64EncodedString() } ?? "")
        writer.element("Cache-Control", blob.cacheControl ?? "")
        writer.element("Content-Disposition", blob.contentDisposition ?? "")
        writer.element("BlobType", "BlockBlob")
        writer.element("AccessTier", "Hot")
        writer.element("AccessTierInferred", "true")
        writer.element("LeaseStatus", "unlocked")
        writer.element("LeaseState", "available")
        writer.element("ServerEncrypted", "true")
        writer.close("Properties")
        if includeMetadata {
            writer.open("Metadata")
            for (key, value) in blob.metadata { writer.element(key, value) }
            writer.close("Metadata")
        }
        writer.close("Blob")
    }
}
