import CONNXRuntime
import Foundation

/// Shape and element type of a model input or output.
public struct TensorDescription: Sendable, Equatable, CustomStringConvertible {
    public var name: String
    /// Dimensions; -1 for a dynamic (symbolic) dimension.
    public var shape: [Int]
    /// ONNX element type number (1 = float32).
    public var elementType: Int

    public var isFloat: Bool { elementType == Int(ONNX_TENSOR_ELEMENT_DATA_TYPE_FLOAT.rawValue) }

    public var description: String {
        let dims = shape.map { $0 < 0 ? "?" : String($0) }.joined(separator: ",")
        let type = isFloat ? "float" : "type \(elementType)"
        return "\(name) \(type)[\(dims)]"
    }
}

/// Session options that matter for an image classifier.
public struct SessionOptions: Sendable, Equatable {
    /// Threads inside each operator (0: ONNX Runtime's default, one per core).
    public var threads: Int
    public var optimization: GraphOptimization
    public var provider: ExecutionProvider
    /// Whether a thread that runs out of work inside an operator spins waiting for the next
    /// (ONNX Runtime's default) or sleeps. Spinning saves a wake-up per operator when the cores
    /// are idle (one EfficientNet-Lite0 inference on two threads: 6.2 ms spinning, 7.4 sleeping);
    /// when many requests share the cores, sleeping threads leave them to the rest of the work
    /// (the flow benchmark with 16 in flight: about 90 requests/s sleeping, 60–80 spinning).
    public var spinning: Bool

    public init(threads: Int = 0, optimization: GraphOptimization = .all, provider: ExecutionProvider = .cpu, spinning: Bool = true) {
        self.threads = threads
        self.optimization = optimization
        self.provider = provider
        self.spinning = spinning
    }
}

/// ONNX Runtime's graph optimisation levels.
public enum GraphOptimization: String, Sendable, CaseIterable {
    case disabled, basic, extended, all

    var level: GraphOptimizationLevel {
        switch self {
        case .disabled: return ORT_DISABLE_ALL
        case .basic: return ORT_ENABLE_BASIC
        case .extended: return ORT_ENABLE_EXTENDED
        case .all: return ORT_ENABLE_ALL
        }
    }
}

/// Where inference runs. CUDA and TensorRT need an ONNX Runtime build that includes them (the
/// CPU wheel installed by set-up does not; selecting them then fails with a clear error).
public enum ExecutionProvider: Sendable, Equatable, CustomStringConvertible {
    case cpu
    case cuda(device: Int)
    case tensorRT(device: Int)

    /// Parses `cpu`, `cuda`, `cuda:1`, `tensorrt`, `tensorrt:0`.
    public init?(_ text: String) {
        let parts = text.lowercased().split(separator: ":", maxSplits: 1).map(String.init)
        let device = parts.count > 1 ? Int(parts[1]) : 0
        guard let device, device >= 0 else { return nil }
        switch parts.first {
        case "cpu": self = .cpu
        case "cuda": self = .cuda(device: device)
        case "tensorrt", "trt": self = .tensorRT(device: device)
        default: return nil
        }
    }

    var runtimeName: String {
        switch self {
        case .cpu: return "CPUExecutionProvider"
        case .cuda: return "CUDAExecutionProvider"
        case .tensorRT: return "TensorrtExecutionProvider"
        }
    }

    public var description: String {
        switch self {
        case .cpu: return "cpu"
        case .cuda(let d): return "cuda:\(d)"
        case .tensorRT(let d): return "tensorrt:\(d)"
        }
    }
}

/// One ONNX Runtime inference session. `run` may be called from several threads at once
/// (ONNX Runtime's Run is thread-safe); everything else is immutable after init.
final class ORTSession: @unchecked Sendable {
    // @unchecked: the OrtSession and OrtMemoryInfo pointers are only used through ONNX Runtime
    // calls documented as thread-safe (Run, metadata reads) and are released once in deinit.
    let runtime: ONNXRuntime
    let inputs: [TensorDescription]
    let outputs: [TensorDescription]
    private let session: OpaquePointer
    private let memoryInfo: OpaquePointer
    private let metadata: [String: String]

    init(runtime: ONNXRuntime, modelPath: String, options: SessionOptions, metadataKeys: [String] = []) throws(ClassifierError) {
        self.runtime = runtime
        let api = runtime.api.pointee
        var sessionOptions: OpaquePointer?
        try runtime.check(api.CreateSessionOptions(&sessionOptions), "create session options")
        guard let sessionOptions else { throw .runtime(operation: "create session options", code: 1, message: "none returned") }
        defer { api.ReleaseSessionOptions(sessionOptions) }
        try runtime.check(api.SetIntraOpNumThreads(sessionOptions, Int32(clamping: max(options.threads, 0))), "set the thread count")
        try runtime.check(api.SetInterOpNumThreads(sessionOptions, 1), "set the inter-op thread count")
        try runtime.check(api.AddSessionConfigEntry(sessionOptions, "session.intra_op.allow_spinning", options.spinning ? "1" : "0"), "set thread spinning")
        try runtime.check(api.SetSessionExecutionMode(sessionOptions, ORT_SEQUENTIAL), "set sequential execution")
        try runtime.check(api.SetSessionGraphOptimizationLevel(sessionOptions, options.optimization.level), "set the optimisation level")
        try runtime.check(api.SetSessionLogSeverityLevel(sessionOptions, Int32(ORT_LOGGING_LEVEL_ERROR.rawValue)), "set the log level")
        try Self.appendProvider(options.provider, to: sessionOptions, runtime: runtime)

        guard FileManager.default.isReadableFile(atPath: modelPath) else { throw .modelNotFound(modelPath) }
        var session: OpaquePointer?
        try runtime.check(api.CreateSession(runtime.env, modelPath, sessionOptions, &session), "load the model \(modelPath)")
        guard let session else { throw .runtime(operation: "load the model", code: 1, message: "no session returned") }
        self.session = session
        var memoryInfo: OpaquePointer?
        do throws(ClassifierError) {
            try runtime.check(api.CreateCpuMemoryInfo(OrtArenaAllocator, OrtMemTypeDefault, &memoryInfo), "describe CPU memory")
            guard let memoryInfo else { throw ClassifierError.runtime(operation: "describe CPU memory", code: 1, message: "none returned") }
            self.memoryInfo = memoryInfo
        } catch {
            api.ReleaseSession(session)
            throw error
        }
        do throws(ClassifierError) {
            inputs = try Self.describe(runtime: runtime, session: session, outputs: false)
            outputs = try Self.describe(runtime: runtime, session: session, outputs: true)
            metadata = try Self.readMetadata(runtime: runtime, session: session, keys: metadataKeys)
        } catch {
            api.ReleaseMemoryInfo(self.memoryInfo)
            api.ReleaseSession(session)
            throw error
        }
    }

    deinit {
        runtime.api.pointee.ReleaseMemoryInfo(memoryInfo)
        runtime.api.pointee.ReleaseSession(session)
    }

    /// A custom metadata value of the model (asked for at init).
    func metadataValue(_ key: String) -> String? { metadata[key] }

    private static func appendProvider(_ provider: ExecutionProvider, to options: OpaquePointer, runtime: ONNXRuntime) throws(ClassifierError) {
        let api = runtime.api.pointee
        let available = runtime.availableProviders()
        func unavailable(_ detail: String) -> ClassifierError {
            .providerUnavailable(provider.description, available: available, detail: detail)
        }
        switch provider {
        case .cpu:
            return
        case .cuda(let device):
            guard available.contains(provider.runtimeName) else { throw unavailable("this build has no CUDA support") }
            var cuda: OpaquePointer?
            do {
                try runtime.check(api.CreateCUDAProviderOptions(&cuda), "create CUDA options")
            } catch { throw unavailable(error.description) }
            guard let cuda else { throw unavailable("no CUDA options returned") }
            defer { api.ReleaseCUDAProviderOptions(cuda) }
            try withCStringArrays(["device_id"], ["\(device)"]) { keys, values throws(ClassifierError) in
                try runtime.check(api.UpdateCUDAProviderOptions(cuda, keys, values, 1), "configure CUDA")
            }
            do {
                try runtime.check(api.SessionOptionsAppendExecutionProvider_CUDA_V2(options, cuda), "enable CUDA")
            } catch { throw unavailable(error.description) }
        case .tensorRT(let device):
            guard available.contains(provider.runtimeName) else { throw unavailable("this build has no TensorRT support") }
            var trt: OpaquePointer?
            do {
                try runtime.check(api.CreateTensorRTProviderOptions(&trt), "create TensorRT options")
            } catch { throw unavailable(error.description) }
            guard let trt else { throw unavailable("no TensorRT options returned") }
            defer { api.ReleaseTensorRTProviderOptions(trt) }
            try withCStringArrays(["device_id"], ["\(device)"]) { keys, values throws(ClassifierError) in
                try runtime.check(api.UpdateTensorRTProviderOptions(trt, keys, values, 1), "configure TensorRT")
            }
            do {
                try runtime.check(api.SessionOptionsAppendExecutionProvider_TensorRT_V2(options, trt), "enable TensorRT")
            } catch { throw unavailable(error.description) }
        }
    }

    private static func describe(runtime: ONNXRuntime, session: OpaquePointer, outputs: Bool) throws(ClassifierError) -> [TensorDescription] {
        let api = runtime.api.pointee
        var count = 0
        try runtime.check(outputs ? api.SessionGetOutputCount(session, &count) : api.SessionGetInputCount(session, &count), "count the model's tensors")
        var allocator: OpaquePointer?
        try runtime.check(api.GetAllocatorWithDefaultOptions(&allocator), "get the default allocator")
        var result: [TensorDescription] = []
        for index in 0..<count {
            var namePointer: UnsafeMutablePointer<CChar>?
            try runtime.check(outputs ? api.SessionGetOutputName(session, index, allocator, &namePointer)
                                      : api.SessionGetInputName(session, index, allocator, &namePointer), "read a tensor name")
            let name = namePointer.map { String(cString: $0) } ?? "#\(index)"
            if let namePointer { _ = api.AllocatorFree(allocator, namePointer) }
            var typeInfo: OpaquePointer?
            try runtime.check(outputs ? api.SessionGetOutputTypeInfo(session, index, &typeInfo)
                                      : api.SessionGetInputTypeInfo(session, index, &typeInfo), "read the type of \(name)")
            defer { if let typeInfo { api.ReleaseTypeInfo(typeInfo) } }
            var onnxType = ONNX_TYPE_UNKNOWN
            try runtime.check(api.GetOnnxTypeFromTypeInfo(typeInfo, &onnxType), "read the kind of \(name)")
            guard onnxType == ONNX_TYPE_TENSOR else {
                result.append(TensorDescription(name: name, shape: [], elementType: -1))
                continue
            }
            var tensorInfo: OpaquePointer?
            try runtime.check(api.CastTypeInfoToTensorInfo(typeInfo, &tensorInfo), "read the shape of \(name)")
            var elementType = ONNX_TENSOR_ELEMENT_DATA_TYPE_UNDEFINED
            try runtime.check(api.GetTensorElementType(tensorInfo, &elementType), "read the element type of \(name)")
            var rank = 0
            try runtime.check(api.GetDimensionsCount(tensorInfo, &rank), "read the rank of \(name)")
            guard rank <= 16 else { throw .unexpectedModel("\(name) has \(rank) dimensions") }
            var dims = [Int64](repeating: 0, count: rank)
            try runtime.check(api.GetDimensions(tensorInfo, &dims, rank), "read the dimensions of \(name)")
            result.append(TensorDescription(name: name, shape: dims.map { Int($0) }, elementType: Int(elementType.rawValue)))
        }
        return result
    }

    private static func readMetadata(runtime: ONNXRuntime, session: OpaquePointer, keys: [String]) throws(ClassifierError) -> [String: String] {
        guard !keys.isEmpty else { return [:] }
        let api = runtime.api.pointee
        var metadata: OpaquePointer?
        try runtime.check(api.SessionGetModelMetadata(session, &metadata), "read the model metadata")
        defer { if let metadata { api.ReleaseModelMetadata(metadata) } }
        var allocator: OpaquePointer?
        try runtime.check(api.GetAllocatorWithDefaultOptions(&allocator), "get the default allocator")
        var result: [String: String] = [:]
        for key in keys {
            var value: UnsafeMutablePointer<CChar>?
            try runtime.check(api.ModelMetadataLookupCustomMetadataMap(metadata, allocator, key, &value), "read metadata \(key)")
            if let value {
                result[key] = String(cString: value)
                _ = api.AllocatorFree(allocator, value)
            }
        }
        return result
    }

    /// Runs the model on one float tensor and returns the named output as floats with its shape.
    func run(input: TensorDescription, shape: [Int], data: UnsafeMutableBufferPointer<Float>, output: TensorDescription) throws(ClassifierError) -> (values: [Float], shape: [Int]) {
        let results = try run(input: input, shape: shape, data: data, outputs: [output])
        guard let first = results.first else { throw .runtime(operation: "run the model", code: 1, message: "no output returned") }
        return first
    }

    /// One inference reading several outputs (the classifier's scores and its embedding come from
    /// the same pass, so matching a template costs no second run).
    func run(input: TensorDescription, shape: [Int], data: UnsafeMutableBufferPointer<Float>, outputs: [TensorDescription]) throws(ClassifierError) -> [(values: [Float], shape: [Int])] {
        let api = runtime.api.pointee
        var inputValue: OpaquePointer?
        let dims = shape.map { Int64($0) }
        try runtime.check(dims.withUnsafeBufferPointer { d in
            api.CreateTensorWithDataAsOrtValue(memoryInfo, data.baseAddress, data.count * MemoryLayout<Float>.stride,
                                               d.baseAddress, d.count, ONNX_TENSOR_ELEMENT_DATA_TYPE_FLOAT, &inputValue)
        }, "wrap the input tensor")
        defer { if let inputValue { api.ReleaseValue(inputValue) } }
        var outputValues = [OpaquePointer?](repeating: nil, count: outputs.count)
        let outNameStorage = outputs.map { strdup($0.name) }
        defer { outNameStorage.forEach { free($0) } }
        var outNames = outNameStorage.map { UnsafePointer($0) }
        let status = input.name.withCString { inName in
            var inNames: [UnsafePointer<CChar>?] = [inName]
            var inputs: [OpaquePointer?] = [inputValue]
            return api.Run(session, nil, &inNames, &inputs, 1, &outNames, outputs.count, &outputValues)
        }
        defer { for value in outputValues { if let value { api.ReleaseValue(value) } } }
        try runtime.check(status, "run the model")
        var results: [(values: [Float], shape: [Int])] = []
        for (output, value) in zip(outputs, outputValues) {
            guard let value else { throw .runtime(operation: "run the model", code: 1, message: "no value returned for \(output.name)") }
            results.append(try read(value, name: output.name))
        }
        return results
    }

    private func read(_ outputValue: OpaquePointer, name: String) throws(ClassifierError) -> (values: [Float], shape: [Int]) {
        let api = runtime.api.pointee
        var info: OpaquePointer?
        try runtime.check(api.GetTensorTypeAndShape(outputValue, &info), "read the output shape")
        defer { if let info { api.ReleaseTensorTypeAndShapeInfo(info) } }
        var elementType = ONNX_TENSOR_ELEMENT_DATA_TYPE_UNDEFINED
        try runtime.check(api.GetTensorElementType(info, &elementType), "read the output type")
        guard elementType == ONNX_TENSOR_ELEMENT_DATA_TYPE_FLOAT else {
            throw .unexpectedModel("output \(name) has element type \(elementType.rawValue), not float")
        }
        var rank = 0
        try runtime.check(api.GetDimensionsCount(info, &rank), "read the output rank")
        var outDims = [Int64](repeating: 0, count: min(rank, 16))
        try runtime.check(api.GetDimensions(info, &outDims, outDims.count), "read the output dimensions")
        var count = 0
        try runtime.check(api.GetTensorShapeElementCount(info, &count), "count the output elements")
        var raw: UnsafeMutableRawPointer?
        try runtime.check(api.GetTensorMutableData(outputValue, &raw), "read the output")
        guard let raw, count >= 0, count <= 100_000_000 else { throw .unexpectedModel("output \(name) has \(count) elements") }
        let values = Array(UnsafeBufferPointer(start: raw.assumingMemoryBound(to: Float.self), count: count))
        return (values, outDims.map { Int($0) })
    }
}

/// Calls `body` with NUL-terminated C string arrays for `keys` and `values`.
private func withCStringArrays<R>(_ keys: [String], _ values: [String],
                                  _ body: (UnsafePointer<UnsafePointer<CChar>?>, UnsafePointer<UnsafePointer<CChar>?>) throws(ClassifierError) -> R) throws(ClassifierError) -> R {
    let keyStorage = keys.map { strdup($0) }
    let valueStorage = values.map { strdup($0) }
    defer {
        keyStorage.forEach { free($0) }
        valueStorage.forEach { free($0) }
    }
    let keyPointers = keyStorage.map { UnsafePointer($0) }
    let valuePointers = valueStorage.map { UnsafePointer($0) }
    return try keyPointers.withUnsafeBufferPointer { k throws(ClassifierError) in
        try valuePointers.withUnsafeBufferPointer { v throws(ClassifierError) in
            guard let kb = k.baseAddress, let vb = v.baseAddress else {
                throw ClassifierError.runtime(operation: "pass provider options", code: 2, message: "empty option list")
            }
            return try body(kb, vb)
        }
    }
}
