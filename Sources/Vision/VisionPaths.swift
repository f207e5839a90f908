import Foundation
import Synchronization

/// Where set-up put ONNX Runtime and the models, as the program using Vision says: Vision reads
/// no environment. The CLI sets them once, at the start of a command, from its settings
/// (`EDGEFACTOR_HOME`, `EDGEFACTOR_ORT_LIBRARY` or its configuration file), so that classifiers
/// built deep inside other modules (the agent's model loader) find them too. They are per process,
/// as ONNX Runtime is (one library, one environment).
public struct VisionPaths: Sendable, Equatable {
    /// Set-up's folder (`runtime/`, `models/`, …); nil: ./var.
    public var home: String?
    /// The ONNX Runtime library to load when a ``ClassifierConfiguration`` names none; nil searches
    /// `<home>/runtime`, then the system.
    public var runtimeLibrary: String?

    public init(home: String? = nil, runtimeLibrary: String? = nil) {
        self.home = home
        self.runtimeLibrary = runtimeLibrary
    }

    private static let process = Mutex(VisionPaths())

    /// This process's paths: none until the program sets them.
    public static var current: VisionPaths {
        get { process.withLock { $0 } }
        set { process.withLock { $0 = newValue } }
    }
}

/// Where set-up puts things: `home` when given, else this process's ``VisionPaths/home``, else
/// `./var` in the current directory.
public enum VisionHome {
    public static func directory(home: String? = nil) -> String {
        if let home = home ?? VisionPaths.current.home, !home.isEmpty { return home }
        return FileManager.default.currentDirectoryPath + "/var"
    }
}
