import ArgumentParser
import Foundation
import FrontEnd

/// Where the front-end keeps its files: under `$EDGEFACTOR_HOME` (set by the scripts), else `var/`
/// in the current directory.
enum FrontendPaths {
    static var home: URL {
        if let home = ProcessInfo.processInfo.environment["EDGEFACTOR_HOME"], !home.isEmpty {
            return URL(fileURLWithPath: home, isDirectory: true)
        }
        return URL(fileURLWithPath: "var", isDirectory: true)
    }

    /// `frontend/frontend.sqlite`: accounts, throttle state, audit log.
    static var database: String { home.appendingPathComponent("frontend/frontend.sqlite").path }
}

/// The `--database` option shared by `frontend`, `frontend audit` and `users`.
struct FrontendDatabaseOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("The front-end's SQLite database (default: $EDGEFACTOR_HOME/frontend/frontend.sqlite, else ./var/frontend/frontend.sqlite).", valueName: "path"))
    var database: String?

    /// The database in use: `--database`, else the default under `$EDGEFACTOR_HOME`.
    var path: String { database ?? FrontendPaths.database }

    func open() throws -> FrontEndDatabase {
        try FrontEndDatabase(path: path)
    }
}
