import Foundation

/// Video files and network streams (RTSP, RTMP) decoded by an `ffmpeg` subprocess.
///
/// ffmpeg writes frames as binary PPM images to a pipe (a short text header with the size, then
/// RGB bytes), so no separate probe is needed and size changes mid-stream are handled.
actor FFmpegSource: FrameSource {
    let input: String
    private let process: Process
    private let reader: BlockingReader
    private let errors: ErrorTail
    private let exit: ProcessExit
    private var delivered = 0
    private var finished = false

    init(input: String, options: FrameSourceOptions, isStream: Bool) throws {
        self.input = input
        var arguments = ["-nostdin", "-hide_banner", "-loglevel", "error"]
        if input.lowercased().hasPrefix("rtsp") { arguments += ["-rtsp_transport", "tcp"] }
        if options.loop && !isStream { arguments += ["-stream_loop", "-1"] }
        arguments += ["-i", input, "-an", "-sn"]
        var filters: [String] = []
        if let fps = options.frameRate, fps > 0 { filters.append("fps=\(fps)") }
        if let w = options.width, let h = options.height, w > 0, h > 0 { filters.append("scale=\(w):\(h)") }
        if !filters.isEmpty { arguments += ["-vf", filters.joined(separator: ",")] }
        arguments += ["-f", "image2pipe", "-c:v", "ppm", "pipe:1"]

        let process = Process()
        process.executableURL = FFmpegSource.executable(options.ffmpegPath)
        process.arguments = arguments
        let output = Pipe(), errorPipe = Pipe()
        process.standardOutput = output
        process.standardError = errorPipe
        process.standardInput = FileHandle.nullDevice
        let errors = ErrorTail()
        let exit = ProcessExit()
        process.terminationHandler = { exit.finish($0.terminationStatus) }
        errorPipe.fileHandleForReading.readabilityHandler = { handle in
            let data = handle.availableData
            if data.isEmpty { handle.readabilityHandler = nil } else { errors.append(data) }
        }
        do {
            try process.run()
        } catch {
            throw FrameSourceError.ffmpeg("cannot start \(options.ffmpegPath) (\(error.localizedDescription)); install ffmpeg (scripts/setup.sh does) or set the ffmpeg path")
        }
        self.process = process
        self.exit = exit
        self.errors = errors
        self.reader = BlockingReader(fileDescriptor: output.fileHandleForReading.fileDescriptor)
        // Keep the pipe's read end alive as long as the reader uses its descriptor.
        self.outputHandle = output.fileHandleForReading
        // And standard error's for as long as its readability handler may run: a FileHandle freed
        // with a live handler leaves libdispatch a source on a closed descriptor (seen as a crash
        // in _dispatch_event_loop_drain when the test suite ran many ffmpeg processes).
        self.errorHandle = errorPipe.fileHandleForReading
    }

    private let outputHandle: FileHandle
    private let errorHandle: FileHandle

    static func executable(_ name: String) -> URL {
        if name.contains("/") { return URL(fileURLWithPath: name) }
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin"
        for directory in path.split(separator: ":") {
            let candidate = "\(directory)/\(name)"
            if FileManager.default.isExecutableFile(atPath: candidate) { return URL(fileURLWithPath: candidate) }
        }
        return URL(fileURLWithPath: "/usr/bin/\(name)")
    }

    func nextFrame() async throws -> RGBImage? {
        guard !finished else { return nil }
        guard let magic = try await reader.readToken() else { return try await end() }
        guard magic == "P6", let w = try await reader.readToken().flatMap(Int.init),
              let h = try await reader.readToken().flatMap(Int.init),
              let maxValue = try await reader.readToken().flatMap(Int.init) else {
            await close()
            throw FrameSourceError.ffmpeg("unexpected output from ffmpeg (not a PPM frame)")
        }
        guard (1...RGBImage.maximumSide).contains(w), (1...RGBImage.maximumSide).contains(h), maxValue == 255 else {
            await close()
            throw FrameSourceError.ffmpeg("unsupported frame \(w)x\(h) max \(maxValue)")
        }
        guard let pixels = try await reader.read(exactly: w * h * 3) else { return try await end() }
        delivered += 1
        return try RGBImage(width: w, height: h, pixels: pixels)
    }

    private func end() async throws -> RGBImage? {
        finished = true
        let status = await exit.status()
        if status != 0 && delivered == 0 {
            let detail = errors.text.trimmingCharacters(in: .whitespacesAndNewlines)
            throw FrameSourceError.ffmpeg("cannot read \(input): \(detail.isEmpty ? "exit status \(status)" : detail)")
        }
        return nil
    }

    func close() async {
        finished = true
        if process.isRunning { process.terminate() }
    }

    deinit {
        if process.isRunning { process.terminate() }
        errorHandle.readabilityHandler = nil
    }
}

/// The last few KB of a subprocess's standard error, for error messages.
final class ErrorTail: @unchecked Sendable {
    // @unchecked: every access goes through the lock.
    private let lock = NSLock()
    private var data = Data()

    func append(_ more: Data) {
        lock.lock()
        defer { lock.unlock() }
        data.append(more)
        if data.count > 4096 { data = data.suffix(4096) }
    }

    var text: String {
        lock.lock()
        defer { lock.unlock() }
        return String(decoding: data, as: UTF8.self)
    }
}

/// A subprocess's exit status, awaitable (set from Process.terminationHandler).
final class ProcessExit: @unchecked Sendable {
    // @unchecked: every access goes through the lock.
    private let lock = NSLock()
    private var code: Int32?
    private var waiters: [CheckedContinuation<Int32, Never>] = []

    func finish(_ status: Int32) {
        lock.lock()
        code = status
        let pending = waiters
        waiters = []
        lock.unlock()
        pending.forEach { $0.resume(returning: status) }
    }

    func status() async -> Int32 {
        await withCheckedContinuation { continuation in
            lock.lock()
            if let code {
                lock.unlock()
                continuation.resume(returning: code)
            } else {
                waiters.append(continuation)
                lock.unlock()
            }
        }
    }
}
