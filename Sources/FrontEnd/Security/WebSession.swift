import Foundation

/// What the server knows about one browser: its CSRF token and how far it got in signing in.
struct WebSession: Sendable, Equatable {
    enum Stage: Sendable, Equatable {
        /// No password accepted yet.
        case anonymous
        /// Password accepted; waiting for the device to see the object.
        case awaitingDevice(username: String, requestId: String)
        /// Both factors passed.
        case authenticated(username: String, proof: SignInProof)
    }

    /// Digest of the cookie value: the key in the store.
    var key: String
    /// Sent in every form, compared in constant time.
    var csrfToken: String
    var stage: Stage
    var createdAt: Date
    var lastSeenAt: Date

    var username: String? {
        switch stage {
        case .anonymous: nil
        case .awaitingDevice(let username, _), .authenticated(let username, _): username
        }
    }
}

/// How a session's second factor was passed, shown on the account page.
struct SignInProof: Sendable, Equatable {
    var requestId: String
    var deviceId: String
    var className: String
    var confidence: Double
    var verifiedAt: Date
    /// The challenge was a personal object (`confidence` is then its similarity).
    var personal = false
}
