package import Hummingbird

/// Writes one ``AccessLog`` line per request: method, path without the query, status, duration,
/// and the body's size when known before it is sent.
package struct AccessLogMiddleware<Context: RequestContext>: RouterMiddleware {
    let log: AccessLog

    package init(_ log: AccessLog) {
        self.log = log
    }

    package func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let start = ContinuousClock.now
        do {
            let response = try await next(request, context)
            log.record(
                method: request.method.rawValue, path: request.uri.path, status: Int(response.status.code), duration: .now - start,
                bytes: response.body.contentLength, operation: context.endpointPath)
            return response
        } catch {
            log.record(
                method: request.method.rawValue, path: request.uri.path, status: RequestMetricsMiddleware<Context>.status(of: error),
                duration: .now - start, bytes: nil, operation: context.endpointPath)
            throw error
        }
    }
}
