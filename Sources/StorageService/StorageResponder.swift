import AzureStorage
import Foundation
import Hummingbird
import Logging

/// The state both endpoints share.
struct StorageServiceCore: Sendable {
    let queues: QueueStore
    let blobs: BlobStore
    let policies: AccessPolicyStore
    let files: BlobFiles
    let authenticator: RequestAuthenticator
    let configuration: StorageServerConfiguration
    let logger: Logger
}

extension StorageServiceCore {
    /// Authenticates the request (Shared Key, or a SAS for `resource` granting one of
    /// `permissions`), then refuses it if it carries a header or query parameter `surface`
    /// does not serve. Returns what was granted.
    @discardableResult
    func authorize(
        _ request: StorageHTTPRequest, _ surface: OperationSurface, resource: SASResource?, anyOf permissions: [SASPermission]
    ) async throws -> Grant {
        OperationSlot.current?.note(surface)
        let grant = try await authenticator.authenticate(request, resource: resource, anyOf: permissions)
        try surface.check(request)
        return grant
    }

    @discardableResult
    func authorize(_ request: StorageHTTPRequest, _ surface: OperationSurface, resource: SASResource?, permission: SASPermission) async throws -> Grant {
        try await authorize(request, surface, resource: resource, anyOf: [permission])
    }
}

/// The Hummingbird responder of one endpoint: parses the request, dispatches to the queue or
/// blob handler, turns every failure into an Azure error response, adds the common headers.
struct StorageResponder: HTTPResponder {
    typealias Context = StorageRequestContext
    enum Service: Sendable { case queue, blob }

    let service: Service
    let core: StorageServiceCore

    func respond(to request: Request, context: StorageRequestContext) async throws -> Response {
        let requestId = SequentialIdentifier.next()
        let isHead = request.method == .head
        var response: Response
        do {
            let parsed = try StorageHTTPRequest(request, clientIPv4: context.clientIPv4)
            switch service {
            case .queue: response = try await QueueHandler(core: core).handle(parsed)
            case .blob: response = try await BlobHandler(core: core).handle(parsed)
            }
        } catch let error as StorageServiceError {
            if error.status >= 500 {
                core.logger.error("storage request failed", metadata: ["code": "\(error.code)", "message": "\(error.message)", "path": "\(request.uri.path)"])
            }
            response = StorageResponses.error(error, requestId: requestId, head: isHead)
        } catch {
            core.logger.error("storage request failed", metadata: ["error": "\(error)", "path": "\(request.uri.path)"])
            let failure = StorageServiceError(500, .internalError, "The server encountered an internal error; see the service log (request id \(requestId)).")
            response = StorageResponses.error(failure, requestId: requestId, head: isHead)
        }
        response.headers[StorageResponses.name("x-ms-request-id")] = requestId
        response.headers[StorageResponses.name("x-ms-version")] = StorageResponses.serviceVersion
        if let clientId = request.headers[StorageResponses.name("x-ms-client-request-id")] {
            response.headers[StorageResponses.name("x-ms-client-request-id")] = String(clientId.prefix(1024))
        }
        return response
    }
}
