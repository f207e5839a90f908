/// One line of `edgefactor check`: what was checked, what was found, and, when it failed, what to
/// do about it. The module's, the agent's and the front-end's checks all report this way.
public struct SystemCheck: Sendable, Equatable, CustomStringConvertible {
    public var name: String
    public var passed: Bool
    /// What was found: the value in use, or what went wrong.
    public var detail: String
    /// How to fix a failure (nil when it passed).
    public var fix: String?

    public static func pass(_ name: String, _ detail: String) -> SystemCheck {
        SystemCheck(name: name, passed: true, detail: detail, fix: nil)
    }

    public static func fail(_ name: String, _ detail: String, fix: String) -> SystemCheck {
        SystemCheck(name: name, passed: false, detail: detail, fix: fix)
    }

    public var description: String {
        let mark = passed ? "ok  " : "FAIL"
        return "\(mark) \(name): \(detail)" + (fix.map { "\n       fix: \($0)" } ?? "")
    }
}
