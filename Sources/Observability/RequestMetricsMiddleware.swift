package import Hummingbird

/// Counts each request in ``HTTPRequestMetrics``, labelled by `METHOD /route/{pattern}` (the
/// route matched, so the label set is bounded; `unknown` when no route matched).
///
/// Recorded when the response is ready, before its body is written: a client that has its answer
/// sees it counted, and a streamed body's transfer time is not part of the duration.
package struct RequestMetricsMiddleware<Context: RequestContext>: RouterMiddleware {
    let metrics: HTTPRequestMetrics

    package init(_ metrics: HTTPRequestMetrics) {
        self.metrics = metrics
    }

    package func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let start = ContinuousClock.now
        do {
            let response = try await next(request, context)
            metrics.record(operation: Self.operation(request, context), status: Int(response.status.code), duration: .now - start)
            return response
        } catch {
            metrics.record(operation: Self.operation(request, context), status: Self.status(of: error), duration: .now - start)
            throw error
        }
    }

    /// `METHOD /pattern`, or `unknown` when no route matched (the path itself is never a label).
    static func operation(_ request: Request, _ context: Context) -> String {
        guard let route = context.endpointPath else { return "unknown" }
        return "\(request.method.rawValue) \(route)"
    }

    /// The status a thrown error becomes (Hummingbird's rule: an HTTP error's own, else 500).
    static func status(of error: any Error) -> Int {
        (error as? any HTTPResponseError).map { Int($0.status.code) } ?? 500
    }
}
