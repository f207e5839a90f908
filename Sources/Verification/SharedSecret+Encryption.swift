import Crypto
public import Foundation

extension SharedSecret {
    /// Encrypts `plaintext` with AES-256-GCM under a key derived from this secret for `purpose`
    /// (HKDF-SHA256), so that one provisioned secret protects data at rest without its own key
    /// ever being used for two jobs. Output: nonce ‖ ciphertext ‖ tag.
    public func encrypt(_ plaintext: Data, purpose: String, authenticating context: Data = Data()) throws -> Data {
        let sealed = try AES.GCM.seal(plaintext, using: derivedKey(purpose), authenticating: context)
        guard let combined = sealed.combined else { throw VerificationError.malformed("AES-GCM produced no combined form") }
        return combined
    }

    /// Decrypts what ``encrypt(_:purpose:authenticating:)`` made; any change to the bytes, the
    /// purpose, the context or the secret fails with `badSignature`.
    public func decrypt(_ sealed: Data, purpose: String, authenticating context: Data = Data()) throws(VerificationError) -> Data {
        do {
            let box = try AES.GCM.SealedBox(combined: sealed)
            return try AES.GCM.open(box, using: derivedKey(purpose), authenticating: context)
        } catch {
            throw .badSignature
        }
    }

    private func derivedKey(_ purpose: String) -> SymmetricKey {
        HKDF<SHA256>.deriveKey(inputKeyMaterial: key, info: Data("edgefactor/\(purpose)".utf8), outputByteCount: 32)
    }
}
