import Crypto
import Foundation

/// The storage names that belong to one device: its requests queue, its dead-letter queue and its
/// results container. Every device gets its own by default, so that a second edge box on the same
/// account never reads the first one's requests (and never dead-letters them as unreadable), and
/// so that a device can be given a SAS for exactly its own resources.
///
/// Device ids allow characters that queue and container names do not (upper case, `.`, `_`, `:`…).
/// A device id that is already a valid name fragment is used as it is (`requests-camera-01`); any
/// other is reduced to one and followed by eight hex digits of its SHA-256, so that two ids that
/// reduce alike (`Camera-01`, `camera-01`) still get names of their own.
public struct DeviceStorageNames: Sendable, Hashable {
    /// The queue the module writes this device's requests to and its agent reads.
    public let requestsQueue: String
    /// Where the agent moves this device's messages that can never succeed.
    public let deadLetterQueue: String
    /// The container this device's agent stores results and evidence in.
    public let responsesContainer: String

    /// Longest name fragment, so that `requests-…-poison` stays within Azure's 63 characters.
    static let maximumFragment = 63 - "requests-".count - "-poison".count

    public init(deviceId: String) {
        let fragment = Self.fragment(for: deviceId)
        requestsQueue = "requests-\(fragment)"
        deadLetterQueue = "requests-\(fragment)-poison"
        responsesContainer = "results-\(fragment)"
    }

    /// `deviceId` as a name fragment: lower-case letters, digits and single hyphens.
    static func fragment(for deviceId: String) -> String {
        if deviceId.count <= maximumFragment, AgentSettings.isValidStorageName("x-" + deviceId + "-x") {
            return deviceId
        }
        var reduced = ""
        for scalar in deviceId.unicodeScalars {
            let character: Character
            switch scalar {
            case "a"..."z", "0"..."9": character = Character(scalar)
            case "A"..."Z": character = Character(String(scalar).lowercased())
            default: character = "-"
            }
            if character == "-", reduced.isEmpty || reduced.hasSuffix("-") { continue }
            reduced.append(character)
        }
        let digest = SHA256.hash(data: Data(deviceId.utf8)).prefix(4).map { String(format: "%02x", $0) }.joined()
        let kept = String(reduced.prefix(maximumFragment - digest.count - 1))
        let trimmed = kept.hasSuffix("-") ? String(kept.dropLast()) : kept
        return trimmed.isEmpty ? digest : "\(trimmed)-\(digest)"
    }
}
