/// The version `edgefactor --version` prints. Raise it with each release (the release notes name
/// the same number); a build between releases carries the last one with `-dev`.
enum EdgeFactorVersion {
    static let number = "0.9.0-dev"

    /// `edgefactor 0.9.0-dev (Swift 6.x, Linux)`: the number, and what built it.
    static var description: String {
        "edgefactor \(number) (\(compiler), \(platform))"
    }

    private static var compiler: String {
        #if compiler(>=6.3)
        "Swift 6.3 or later"
        #elseif compiler(>=6.2)
        "Swift 6.2"
        #elseif compiler(>=6.1)
        "Swift 6.1"
        #else
        "Swift 6.0"
        #endif
    }

    private static var platform: String {
        #if os(Linux)
        "Linux"
        #elseif os(macOS)
        "macOS"
        #else
        "unknown OS"
        #endif
    }
}
