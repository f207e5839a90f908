import Foundation
import PrivateFiles

/// Where `edgefactor demo` keeps its state: one directory that the next run reuses.
struct DemoLayout {
    /// `$EDGEFACTOR_HOME`, else `./var`: where set-up put the model and the photos.
    let home: URL
    /// The demo's own state.
    let root: URL

    /// `home`: the settings' (EDGEFACTOR_HOME), nil for `./var`.
    init(dataDir: String?, home: String?) {
        self.home = URL(fileURLWithPath: home ?? "var", isDirectory: true)
        root = dataDir.map { URL(fileURLWithPath: $0, isDirectory: true) } ?? self.home.appendingPathComponent("demo", isDirectory: true)
    }

    var storage: URL { root.appendingPathComponent("storage", isDirectory: true) }
    var hub: URL { root.appendingPathComponent("hub", isDirectory: true) }
    var secrets: URL { root.appendingPathComponent("secrets", isDirectory: true) }
    var frontendDatabase: URL { root.appendingPathComponent("frontend.sqlite") }
    /// The demo account's name and password, readable by the owner only.
    var credentials: URL { root.appendingPathComponent("demo-credentials.json") }
    /// The sample photos installed by scripts/setup.sh.
    var photos: URL { home.appendingPathComponent("photos", isDirectory: true) }

    func create() throws {
        try PrivateFiles.createDirectory(root.path)
    }
}
