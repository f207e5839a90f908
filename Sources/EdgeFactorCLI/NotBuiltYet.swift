/// Thrown by a subcommand whose component has not landed yet.
struct NotBuiltYet: Error, CustomStringConvertible {
    let command: String
    var description: String { "`edgefactor \(command)` is not available in this build yet." }
}
