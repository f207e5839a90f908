/// What went wrong in the front-end, each case saying how to fix it.
public enum FrontEndError: Error, CustomStringConvertible, Equatable, Sendable {
    /// The SQLite database could not be opened, migrated or written.
    case database(String)
    /// A user name that is not 1–64 letters, digits or `.`, `_`, `-`, `@`.
    case invalidUsername(String)
    /// A password that breaks the policy; the string says which rule.
    case weakPassword(String)
    /// An object class that is not acceptable (empty, bad characters, or not a label of the model).
    case invalidClass(String)
    /// A threshold outside 1...100 percent.
    case invalidThreshold(Double)
    /// A device or module id the hub would not accept.
    case invalidDeviceId(String)
    /// `users add` for a name that exists.
    case userExists(String)
    /// `users set/remove` for a name that does not exist.
    case userNotFound(String)
    /// The templates or static files bundled with the front-end are missing.
    case resourcesMissing(String)
    /// A configuration value that cannot work.
    case configuration(String)
    /// A personal object's name that breaks the rule of class names.
    case invalidObjectName(String)
    /// The account already has an object of that name (or that template id).
    case objectExists(String)
    /// The account has as many objects as it may have.
    case objectLimit(Int)
    /// No such object for that account.
    case objectNotFound(String)

    public var description: String {
        switch self {
        case .database(let message): message
        case .invalidUsername(let name):
            "invalid user name \"\(name)\": use 1 to 64 letters, digits or . _ - @"
        case .weakPassword(let rule): "password rejected: \(rule)"
        case .invalidClass(let reason): "invalid object class: \(reason)"
        case .invalidThreshold(let value):
            "invalid threshold \(value): give a percentage from 1 to 100"
        case .invalidDeviceId(let id):
            "invalid device or module id \"\(id)\": use 1 to 128 ASCII letters, digits or - . _ : @ + = , ! ( ) $ '"
        case .userExists(let name): "user \"\(name)\" already exists: use `edgefactor users set \(name) ...` to change it"
        case .userNotFound(let name): "no user \"\(name)\": `edgefactor users list` shows the accounts"
        case .resourcesMissing(let what):
            "the front-end's bundled resources are missing (\(what)): reinstall, or run from the build directory"
        case .configuration(let message): message
        case .invalidObjectName(let name):
            "invalid object name \"\(name.prefix(120))\": use 1 to 100 letters, digits, spaces and - ' , . _ ( )"
        case .objectExists(let name): "there is already an object called \"\(name)\": choose another name"
        case .objectLimit(let limit): "an account may have at most \(limit) objects: remove one first"
        case .objectNotFound(let id): "no object \(id.prefix(64)) for this account: `edgefactor users objects list USER` shows them"
        }
    }
}
