/// What an account may do besides signing in: an administrator also sees the admin pages.
///
/// Only `edgefactor users add --admin` and `users set --role` give the role; no page can.
public enum AccountRole: String, Sendable, Codable, CaseIterable {
    case user
    case admin
}
