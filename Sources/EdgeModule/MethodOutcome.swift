import Foundation
import IoTHub

/// The `ProcessRequest` answers: the original's success text, and a reason with every failure.
enum MethodOutcome {
    static let executed = "Executed direct method ProcessRequest"

    struct Body: Encodable {
        var Response: String
        var Error: String?
        /// Where the agent stores the result (the module's settings can move it).
        var ResponsesContainer: String?
    }

    /// 200: queued; the result will be stored in `container`.
    static func ok(container: String? = nil) -> MethodResponse {
        response(200, Body(Response: executed, ResponsesContainer: container))
    }

    /// 400: the caller sent something the module will not queue.
    static func badRequest(_ why: String) -> MethodResponse {
        response(400, Body(Response: "Rejected direct method ProcessRequest", Error: why))
    }

    /// 503: storage could not take the request; the caller may retry.
    static func unavailable(_ why: String) -> MethodResponse {
        response(503, Body(Response: "Could not queue the request", Error: why))
    }

    static func unknownMethod(_ name: String) -> MethodResponse {
        response(404, Body(Response: "Unknown direct method", Error: "this module handles ProcessRequest, EnrollObject and RemoveObject, not '\(name.prefix(64))'"))
    }

    private static func response(_ status: Int, _ body: Body) -> MethodResponse {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let data = (try? encoder.encode(body)) ?? Data(#"{"Response":"internal error"}"#.utf8)
        return MethodResponse(status: status, payload: data)
    }
}
