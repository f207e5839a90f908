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
        let blob = segments.count > 1 ? segments.dropFirst().joined(separator: "/") : nil
        if let blob { try ResourceNames.validateBlob(blob) }
        if request.query["restype"] == "account" {
            // Get Account Information answers on container and blob URLs too, for a SAS of either.
            return try await accountInformation(request, resource: SASResource(service: .blob, container: container, blob: blob))
        }
        guard let blob else {
            guard request.query["restype"] == "container" else {
                throw StorageServiceError(400, .invalidUri, "A container request needs ?restype=container; a blob request needs /{container}/{blob}.")
            }
            return try await self.container(request, name: container)
        }
        return try await self.blob(request, container: container, name: blob)
    }

    // MARK: Account

    /// `comp` values Azure defines on the blob service root.
    private static let serviceComps: Set<String> = ["list", "properties", "stats", "userdelegationkey", "batch", "blobs"]

    private func account(_ request: StorageHTTPRequest) async throws -> Response {
        let comp = request.query["comp"]
        switch (request.query["restype"], comp) {
        case (_, "list"):
            guard request.method == "GET" else { throw StorageServiceError.unsupportedVerb(request.method, "List Containers", use: "GET") }
            try await core.authorize(request, .listContainers, resource: nil, permission: .list)
            return try await listContainers(request)
        case ("account", "properties"):
            return try await accountInformation(request, resource: nil)
        default:
            try await core.authenticator.authenticate(request, resource: nil, permission: .list)
            guard let comp else {
                throw StorageServiceError.notImplemented("\(request.method) on the blob service root without comp (only ?comp=list and ?restype=account&comp=properties)")
            }
            throw StorageServiceError.unsupportedComp(comp, on: "the blob service root", known: Self.serviceComps)
        }
    }

    /// Get Account Information (`restype=account&comp=properties`), on the service root, a
    /// container or a blob; a SAS for the container or blob may ask, whatever it permits.
    private func accountInformation(_ request: StorageHTTPRequest, resource: SASResource?) async throws -> Response {
        guard request.query["comp"] == "properties" else {
            throw StorageServiceError.invalidQuery("comp", String((request.query["comp"] ?? "").prefix(64)), "restype=account goes with comp=properties")
        }
        guard request.method == "GET" || request.method == "HEAD" else {
            throw StorageServiceError.unsupportedVerb(request.method, "Get Account Information", use: "GET or HEAD")
        }
        let letters: [SASPermission] = [.read, .add, .create, .write, .delete, .list]
        try await core.authorize(request, .getAccountInformation, resource: resource, anyOf: resource == nil ? [.list] : letters)
        return StorageResponses.make(200, headers: [("x-ms-sku-name", "Standard_LRS"), ("x-ms-account-kind", "StorageV2"), ("x-ms-is-hns-enabled", "false")])
    }

    private func listContainers(_ request: StorageHTTPRequest) async throws -> Response {
        let listing = try ListingRequest(request, includes: ListingRequest.containerIncludes)
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
}
