import Hummingbird
import IoTHub
import NIOCore

// Direct methods: `POST /twins/{deviceId}[/modules/{moduleId}]/methods`.
extension ServiceAPI {
    func invokeMethod(_ request: Request, _ context: BasicRequestContext, moduleId: String?) async throws -> Response {
        let deviceId = try device(context)
        let body = try await request.body.collect(upTo: 256 * 1024)
        // Scanned, not parsed into objects: this is the hot path of method calls, and `payload` is
        // passed on byte for byte.
        let bytes = body.readableBytesView
        guard let members = RawJSON.objectMembers(bytes),
              let nameRange = members["methodName"],
              let name = RawJSON.string(Self.slice(bytes, nameRange)), !name.isEmpty
        else {
            throw HubError.badRequest("body must be {\"methodName\": \"...\", \"payload\": ..., \"responseTimeoutInSeconds\": n}")
        }
        guard name.utf8.count <= 100, !name.contains("/") else { throw HubError.badRequest("method name must be 1-100 characters without '/'") }
        let responseTimeout = Self.seconds(members["responseTimeoutInSeconds"].map { Self.slice(bytes, $0) }, default: 30, range: 5...300)
        let connectTimeout = Self.seconds(members["connectTimeoutInSeconds"].map { Self.slice(bytes, $0) }, default: 0, range: 0...300)
        let payload = members["payload"].map { body.getSlice(at: body.readerIndex + $0.lowerBound, length: $0.count) ?? ByteBuffer(string: "null") }
            ?? ByteBuffer(string: "null")
        guard payload.readableBytes <= 128 * 1024 else { throw HubError.tooLarge("method payloads are limited to 128 KiB") }
        let clientId = moduleId.map { "\(deviceId)/\($0)" } ?? deviceId
        // A connected identity exists; only an offline one needs the registry (404001 vs 404103).
        if !core.broker.isConnected(clientId), try await core.registry.identity(deviceId: deviceId, moduleId: moduleId) == nil {
            throw moduleId.map { HubError.moduleNotFound(deviceId, $0) } ?? HubError.deviceNotFound(deviceId)
        }
        let outcome = await core.broker.invokeMethod(
            clientId: clientId, name: name, payload: payload,
            responseTimeout: .seconds(responseTimeout), connectTimeout: .seconds(connectTimeout)
        )
        switch outcome {
        case .offline:
            throw HubError.notOnline(clientId)
        case .timeout:
            throw HubError.timeout(clientId, responseTimeout)
        case .response(let status, let payload):
            var result = ByteBuffer(string: "{\"status\":\(status),\"payload\":")
            if payload.readableBytes == 0 || !RawJSON.isValid(payload.readableBytesView) {
                result.writeString("null")
            } else {
                var payload = payload
                result.writeBuffer(&payload)
            }
            result.writeString("}")
            return Response(status: .ok, headers: [.contentType: "application/json; charset=utf-8"], body: .init(byteBuffer: result))
        }
    }

    private static func slice(_ bytes: ByteBufferView, _ range: Range<Int>) -> ByteBufferView {
        bytes[(bytes.startIndex + range.lowerBound)..<(bytes.startIndex + range.upperBound)]
    }

    private static func seconds(_ value: ByteBufferView?, default fallback: Int, range: ClosedRange<Int>) -> Int {
        // A JSON `true` counts as 1 (then the minimum), as an NSNumber read it. Clamped as a
        // Double first: 1e300 does not fit an Int.
        guard let value, let seconds = RawJSON.number(value), !seconds.isNaN else { return fallback }
        return Int(min(max(seconds, Double(range.lowerBound)), Double(range.upperBound)))
    }
}
