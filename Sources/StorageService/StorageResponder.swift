import AzureStorage
import Foundation
import Hummingbird
import Logging

/// The state both endpoints share.
struct StorageServiceCore: Sendable {
    let queues: QueueStore
    let blobs: BlobStore
    let files: BlobFiles
    let authenticator: RequestAuthenticator
    let configuration: StorageServerConfiguration
    let logger: Logger
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
            let failure = StorageServiceError(500, "InternalError", "The server encountered an internal error; see the service log (request id \(requestId)).")
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
