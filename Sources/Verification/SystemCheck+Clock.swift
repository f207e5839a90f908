public import Foundation

extension SystemCheck {
    /// This machine's clock against the storage service's (`offset`: this clock minus theirs).
    /// Requests expire in seconds and are judged on both ends, so half the allowed skew is the limit.
    public static func clock(offset: TimeInterval?) -> SystemCheck {
        guard let offset else { return .fail("clock", "storage sent no Date to compare with", fix: "check that storage is reachable") }
        let seconds = Int(offset.rounded())
        guard abs(offset) <= VerificationRequest.allowedClockSkew / 2 else {
            return .fail("clock", "\(seconds) s off the storage service's clock", fix: "synchronise the clock (systemd-timesyncd or chrony): requests expire in seconds")
        }
        return .pass("clock", "within \(max(1, abs(seconds))) s of the storage service's")
    }

    /// A storage probe's outcome as a line: `refusal` nil and `reachable` means it worked.
    public static func storage(_ what: String, reachable: Bool, refusal: String?, credentials: String) -> SystemCheck {
        guard reachable else {
            return .fail("storage", "\(what): \(refusal ?? "no answer")", fix: "check that the storage service runs and that this machine reaches it")
        }
        if let refusal {
            return .fail("storage", "\(what) refused the credentials (\(credentials)): \(refusal)", fix: "issue a fresh grant (`edgefactor secrets grant`) or check the connection string's account key")
        }
        return .pass("storage", "\(what) reachable with the \(credentials)")
    }
}
