import Hummingbird
import Observability
import Synchronization

/// Wraps an endpoint's ``StorageResponder`` to count each request in the server's metrics and
/// write its access-log line, labelled with the storage operation it turned out to be (`put-message`,
/// `get-blob`; `unknown` when it never reached one: a bad path, a verb no operation has).
///
/// The operation is known only deep in the handlers, once the request is authorized; they note
/// it in ``OperationSlot`` (a task-local) rather than returning it, so that the handlers keep
/// their signatures.
struct ObservedResponder: HTTPResponder {
    typealias Context = StorageRequestContext

    let inner: StorageResponder
    let metrics: HTTPRequestMetrics
    let accessLog: AccessLog?

    func respond(to request: Request, context: StorageRequestContext) async throws -> Response {
        let start = ContinuousClock.now
        let slot = OperationSlot()
        let response: Response
        do {
            response = try await OperationSlot.$current.withValue(slot) {
                try await inner.respond(to: request, context: context)
            }
        } catch {
            // The responder answers every failure itself; this is Hummingbird's 500.
            observe(request, operation: slot.label, status: 500, bytes: nil, since: start)
            throw error
        }
        observe(request, operation: slot.label, status: Int(response.status.code), bytes: response.body.contentLength, since: start)
        return response
    }

    private func observe(_ request: Request, operation: String?, status: Int, bytes: Int?, since start: ContinuousClock.Instant) {
        let duration = ContinuousClock.now - start
        let operation = operation ?? "unknown"
        metrics.record(operation: operation, status: status, duration: duration)
        accessLog?.record(method: request.method.rawValue, path: request.uri.path, status: status, duration: duration, bytes: bytes, operation: operation)
    }
}

/// The storage operation a request turned out to be, noted by ``StorageServiceCore/authorize(_:_:resource:anyOf:)``.
final class OperationSlot: Sendable {
    @TaskLocal static var current: OperationSlot?

    private let value = Mutex<String?>(nil)

    var label: String? { value.withLock { $0 } }

    func note(_ surface: OperationSurface) {
        value.withLock { $0 = surface.label }
    }
}
