import ArgumentParser
import CLISettings
import Foundation
import FrontEnd

/// Where the front-end keeps its files: under the settings' home (EDGEFACTOR_HOME, set by the
/// scripts), else `var/` in the current directory.
enum FrontendPaths {
    static func home(_ settings: EdgeFactorSettings) -> URL {
        URL(fileURLWithPath: settings.homeDirectory, isDirectory: true)
    }

    /// `frontend/frontend.sqlite`: accounts, throttle state, audit log.
    static func database(_ settings: EdgeFactorSettings) -> String { home(settings).appendingPathComponent("frontend/frontend.sqlite").path }
}

/// The `--database` option shared by `frontend`, `frontend audit` and `users`.
struct FrontendDatabaseOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("The front-end's SQLite database (default: $EDGEFACTOR_HOME/frontend/frontend.sqlite, else ./var/frontend/frontend.sqlite).", valueName: "path"))
    var database: String?

    /// The database in use: `--database`, else the default under the settings' home.
    func path(_ settings: EdgeFactorSettings) -> String { database ?? FrontendPaths.database(settings) }

    func open(_ settings: EdgeFactorSettings) throws -> FrontEndDatabase {
        try FrontEndDatabase(path: path(settings))
    }
}
