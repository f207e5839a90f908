public import Foundation

/// The telemetry body the agent sends when a request ends: the sealed result and where the time went.
public struct ResultTelemetry: Codable, Sendable, Hashable {
    /// Telemetry property that marks these messages, so consumers can route them.
    public static let messageType = "edgefactor.verification-result"

    /// The `VerificationResult`, sealed with the device's secret.
    public var result: SignedEnvelope
    /// Milliseconds per stage (for example "queue", "inference", "upload").
    public var timings: [String: Double]

    public init(result: SignedEnvelope, timings: [String: Double]) {
        self.result = result
        self.timings = timings
    }

    public func jsonData() throws -> Data { try CanonicalJSON.encode(self) }

    public static func decode(_ data: some DataProtocol) throws(VerificationError) -> ResultTelemetry {
        guard data.count <= SignedEnvelope.maximumEncodedSize else { throw .malformed("telemetry exceeds \(SignedEnvelope.maximumEncodedSize) bytes") }
        return try CanonicalJSON.decode(ResultTelemetry.self, from: Data(data))
    }
}
