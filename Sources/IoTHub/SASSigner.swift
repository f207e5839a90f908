import EdgeFactorSupport
import Foundation

/// How a device or module client signs the SAS tokens it connects with: with the identity's key
/// (from its connection string), or through the IoT Edge workload API, which holds the key.
enum SASSigner: Sendable {
    case key(String)
    case workload(IoTEdgeWorkloadClient)

    /// A token for `resourceURI` (no scheme) that expires at `expiresOn`.
    func token(resourceURI: String, expiresOn: Date) async throws -> SharedAccessSignature {
        switch self {
        case .key(let key):
            return try SharedAccessSignature.make(resourceURI: resourceURI, key: key, expiresOn: expiresOn)
        case .workload(let workload):
            let encoded = PercentEncoding.encode(resourceURI)
            let expiry = SharedAccessSignature.expiry(of: expiresOn)
            let digest = try await workload.sign(SharedAccessSignature.stringToSign(encodedResourceURI: encoded, expiry: expiry))
            return SharedAccessSignature(
                encodedResourceURI: encoded, signature: digest.base64EncodedString(), expiry: expiry, keyName: nil
            )
        }
    }
}
