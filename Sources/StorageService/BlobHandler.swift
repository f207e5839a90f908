import AzureStorage
import Foundation
import Hummingbird

/// The Blob service operations (path style: `/{account}/{container}[/{blob}]`).
struct BlobHandler: Sendable {
    let core: StorageServiceCore

    func handle(_ request: StorageHTTPRequest) async throws -> Response {
        let segments = request.segments
        if segments.isEmpty || (segments.count == 1 && segments[0].isEmpty) {
            return try await account(request)
        }
        let container = segments[0]
        try ResourceNames.validateQueueOrContainer(container, kind: "container")
        if segments.count == 1 {
            guard request.query["restype"] == "container" else {
                throw StorageServiceError(400, "InvalidUri", "A container request needs ?restype=container; a blob request needs /{container}/{blob}.")
            }
            return try await self.container(request, name: container)
        }
        let blob = segments.dropFirst().joined(separator: "/")
        try ResourceNames.validateBlob(blob)
        return try await self.blob(request, container: container, name: blob)
    }

    // MARK: Account

    private func account(_ request: StorageHTTPRequest) async throws -> Response {
        try core.authenticator.authenticate(request, resource: nil, permission: .list)
        switch (request.method, request.query["restype"], request.query["comp"]) {
        case ("GET", _, "list"):
            return try await listContainers(request)
        case ("GET", "account", "properties"), ("HEAD", "account", "properties"):
            return StorageResponses.make(200, headers: [("x-ms-sku-name", "Standard_LRS"), ("x-ms-account-kind", "StorageV2"), ("x-ms-is-hns-enabled", "false")])
        default:
            throw StorageServiceError.notImplemented("\(request.method) on the blob service root (only ?comp=list and account properties)")
        }
    }

    private func listContainers(_ request: StorageHTTPRequest) async throws -> Response {
        let listing = try ListingRequest(request)
        let (containers, next) = try await core.blobs.listContainers(account: request.account, prefix: listing.prefix, marker: listing.marker, limit: listing.limit)
        let includeMetadata = listing.includes.contains("metadata")
        var writer = StorageXMLWriter()
        listing.openEnumeration(&writer)
        writer.open("Containers")
        for container in containers {
            writer.open("Container")
            writer.element("Name", container.name)
            writer.open("Properties")
            writer.element("Last-Modified", StorageResponses.date(container.modifiedMs))
            writer.element("Etag", container.etag)
            writer.element("LeaseStatus", "unlocked")
            writer.element("LeaseState", "available")
            writer.element("HasImmutabilityPolicy", "false")
            writer.element("HasLegalHold", "false")
            writer.close("Properties")
            if includeMetadata {
                writer.open("Metadata")
                for (key, value) in container.metadata { writer.element(key, value) }
                writer.close("Metadata")
            }
            writer.close("Container")
        }
        writer.close("Containers")
        writer.element("NextMarker", next ?? "")
        writer.close("EnumerationResults")
        return StorageResponses.xml(200, writer)
    }

    // MARK: Container

    private func container(_ request: StorageHTTPRequest, name: String) async throws -> Response {
        let resource = SASResource(service: .blob, container: name, blob: nil)
        let comp = request.query["comp"]
        switch (request.method, comp) {
        case ("PUT", nil):
            try core.authenticator.authenticate(request, resource: nil, permission: .create)
            let metadata = request.metadata
            try ResourceNames.validateMetadata(metadata)
            let created = try await core.blobs.createContainer(account: request.account, name: name, metadata: metadata)
            return StorageResponses.make(201, headers: [("ETag", created.etag), ("Last-Modified", StorageResponses.date(created.modifiedMs))])
        case ("PUT", "metadata"):
            try core.authenticator.authenticate(request, resource: nil, permission: .write)
            let metadata = request.metadata
            try ResourceNames.validateMetadata(metadata)
            let updated = try await core.blobs.setContainerMetadata(account: request.account, name: name, metadata: metadata)
            return StorageResponses.make(200, headers: [("ETag", updated.etag), ("Last-Modified", StorageResponses.date(updated.modifiedMs))])
        case ("DELETE", nil):
            try core.authenticator.authenticate(request, resource: nil, permission: .delete)
            let files = try await core.blobs.deleteContainer(account: request.account, name: name)
            core.files.remove(files)
            return StorageResponses.make(202)
        case ("GET", nil), ("HEAD", nil), ("GET", "metadata"), ("HEAD", "metadata"):
            try core.authenticator.authenticate(request, resource: resource, permission: .read)
            let container = try await core.blobs.container(account: request.account, name: name)
            return StorageResponses.make(200, headers: [
                ("ETag", container.etag), ("Last-Modified", StorageResponses.date(container.modifiedMs)),
                ("x-ms-lease-status", "unlocked"), ("x-ms-lease-state", "available"),
                ("x-ms-has-immutability-policy", "false"), ("x-ms-has-legal-hold", "false"),
                ("x-ms-default-encryption-scope", "$account-encryption-key"), ("x-ms-deny-encryption-scope-override", "false"),
            ] + StorageResponses.metadataHeaders(container.metadata))
        case ("GET", "list"):
            try core.authenticator.authenticate(request, resource: resource, permission: .list)
            return try await listBlobs(request, container: name)
        default:
            throw StorageServiceError.notImplemented("\(request.method) ?restype=container&comp=\(comp ?? "") (container ACLs, leases)")
        }
    }

    private func listBlobs(_ request: StorageHTTPRequest, container: String) async throws -> Response {
        let listing = try ListingRequest(request)
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
                if includes.contains("metadata") {
                    writer.open("Metadata")
                    for (key, value) in blob.metadata { writer.element(key, value) }
                    writer.close("Metadata")
                }
                writer.close("Blob")
            }
        }
        writer.close("Blobs")
        writer.element("NextMarker", next ?? "")
        writer.close("EnumerationResults")
        return StorageResponses.xml(200, writer)
    }
}
