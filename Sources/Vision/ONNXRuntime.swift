import CONNXRuntime
import Foundation
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The ONNX Runtime shared library, loaded with dlopen, and its process-wide environment.
///
/// Loaded once per path and kept for the life of the process (ONNX Runtime must not be unloaded
/// while sessions exist, and it expects one OrtEnv per process).
final class ONNXRuntime: @unchecked Sendable {
    // @unchecked: `api` points at the runtime's immutable function table and `env` is an OrtEnv,
    // which ONNX Runtime documents as safe to share between threads. Nothing here is mutated.
    let path: String
    let version: String
    let api: UnsafePointer<EFOrtApi>
    let env: OpaquePointer

    private init(path: String, version: String, api: UnsafePointer<EFOrtApi>, env: OpaquePointer) {
        self.path = path
        self.version = version
        self.api = api
        self.env = env
    }

    private static let loaded = Mutex<[String: ONNXRuntime]>([:])

    /// Where the library is looked for, in order: `explicit`, else the set-up's
    /// `<home>/runtime/libonnxruntime.so` (home defaults to ./var), then the system's library
    /// search path. The caller says both (the CLI: `--runtime-library`, EDGEFACTOR_ORT_LIBRARY or
    /// its configuration file, and EDGEFACTOR_HOME); nothing here reads the environment.
    static func candidates(explicit: String?, home: String?) -> [String] {
        if let explicit, !explicit.isEmpty { return [explicit] }
        return [VisionHome.directory(home: home) + "/runtime/libonnxruntime.so", "libonnxruntime.so", "libonnxruntime.so.1"]
    }

    /// Loads the first usable library among ``candidates(explicit:home:)``: `explicit`, else the
    /// process's ``VisionPaths``.
    static func load(explicit: String? = nil) throws(ClassifierError) -> ONNXRuntime {
        var tried: [String] = []
        var reasons: [String] = []
        let paths = VisionPaths.current
        for path in candidates(explicit: explicit ?? paths.runtimeLibrary, home: paths.home) {
            if let runtime = loaded.withLock({ $0[path] }) { return runtime }
            switch open(path) {
            case .success(let runtime):
                return loaded.withLock { cache in
                    if let existing = cache[path] { return existing }
                    cache[path] = runtime
                    return runtime
                }
            case .failure(let error):
                if case .runtimeNotFound(_, let why) = error {
                    tried.append(path)
                    reasons.append(why.first ?? "cannot be loaded")
                } else {
                    throw error
                }
            }
        }
        throw .runtimeNotFound(tried: tried, reasons: reasons)
    }

    private static func open(_ path: String) -> Result<ONNXRuntime, ClassifierError> {
        if path.contains("/"), !FileManager.default.fileExists(atPath: path) {
            return .failure(.runtimeNotFound(tried: [path], reasons: ["no such file"]))
        }
        guard let handle = dlopen(path, RTLD_NOW | RTLD_LOCAL) else {
            let why = dlerror().map { String(cString: $0) } ?? "dlopen failed"
            return .failure(.runtimeNotFound(tried: [path], reasons: [why]))
        }
        guard let symbol = dlsym(handle, "OrtGetApiBase") else {
            dlclose(handle)
            return .failure(.runtimeNotFound(tried: [path], reasons: ["not an ONNX Runtime library (no OrtGetApiBase)"]))
        }
        let getBase = unsafeBitCast(symbol, to: EFOrtGetApiBaseFunction.self)
        guard let base = getBase() else {
            return .failure(.runtimeNotFound(tried: [path], reasons: ["OrtGetApiBase returned nothing"]))
        }
        let version = String(cString: base.pointee.GetVersionString())
        guard let api = base.pointee.GetApi(UInt32(EF_ORT_API_VERSION)) else {
            return .failure(.runtimeTooOld(path: path, version: version))
        }
        var env: OpaquePointer?
        let status = api.pointee.CreateEnv(ORT_LOGGING_LEVEL_ERROR, "edgefactor", &env)
        if let status {
            let message = String(cString: api.pointee.GetErrorMessage(status))
            api.pointee.ReleaseStatus(status)
            return .failure(.runtime(operation: "create its environment", code: 1, message: message))
        }
        guard let env else {
            return .failure(.runtime(operation: "create its environment", code: 1, message: "no environment returned"))
        }
        // The handle stays open for the life of the process (see the type's comment).
        return .success(ONNXRuntime(path: path, version: version, api: api, env: env))
    }

    /// Throws ``ClassifierError/runtime(operation:code:message:)`` for a non-nil status and releases it.
    func check(_ status: OpaquePointer?, _ operation: @autoclosure () -> String) throws(ClassifierError) {
        guard let status else { return }
        let code = Int(api.pointee.GetErrorCode(status).rawValue)
        let message = String(cString: api.pointee.GetErrorMessage(status))
        api.pointee.ReleaseStatus(status)
        throw .runtime(operation: operation(), code: code, message: message)
    }

    /// Names of the execution providers compiled into this build (e.g. CPUExecutionProvider).
    func availableProviders() -> [String] {
        var list: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?
        var count: Int32 = 0
        guard api.pointee.GetAvailableProviders(&list, &count) == nil, let list else { return [] }
        let names = (0..<Int(count)).compactMap { list[$0].map { String(cString: $0) } }
        _ = api.pointee.ReleaseAvailableProviders(list, count)
        return names
    }
}
