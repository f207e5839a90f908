/// Who may use the admin pages, and on whom an administrator may act there: decided from what
/// the server holds (the session's stage, the account as it is in the database now), never from
/// anything the browser sends.
enum AdminAccess {
    /// The answer for one request.
    enum Decision: Equatable, Sendable {
        /// An administrator who completed both factors in this session.
        case allowed(admin: String)
        /// Anyone else: the page does not exist for them (404, the same as an unknown path).
        case hidden
    }

    /// - Parameters:
    ///   - stage: the session's stage (nil: no session).
    ///   - account: the session's account as stored now (nil: deleted since).
    ///   - locked: whether that account is locked now.
    static func decide(stage: WebSession.Stage?, account: UserAccount?, locked: Bool) -> Decision {
        // Only a completed sign-in: a password alone (awaiting the device) is not enough.
        guard case .authenticated(let username, _)? = stage else { return .hidden }
        // The role is read again on every request: a role taken away, an account locked or
        // deleted, ends access at the next click, whatever the session says.
        guard let account, account.username.caseInsensitiveCompare(username) == .orderedSame,
              account.role == .admin, !locked
        else { return .hidden }
        return .allowed(admin: account.username)
    }

    /// Why `admin` may not lock, unlock or reset the password of `target` from the page, or nil
    /// when they may. Administrators' accounts (their own included) are managed with the CLI only,
    /// so that one stolen admin session cannot lock every administrator out.
    static func refusal(admin: String, target: UserAccount) -> String? {
        if target.username.caseInsensitiveCompare(admin) == .orderedSame {
            return "You cannot change your own account here. Use `edgefactor users set` on the server."
        }
        if target.role == .admin {
            return "\(target.username) is an administrator: administrators' accounts are changed with `edgefactor users set` on the server."
        }
        return nil
    }
}
