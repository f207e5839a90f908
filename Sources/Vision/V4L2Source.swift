import CVisionShims
import Foundation
import NIOPosix

#if canImport(Glibc)
import Glibc
#endif

/// A V4L2 camera (`v4l2:///dev/video0`) captured with memory-mapped streaming, MJPEG or YUYV.
///
/// Untested on real hardware in CI (no camera there): the format negotiation and YUYV conversion
/// are unit-tested; opening non-camera devices is tested to fail cleanly.
actor V4L2Source: FrameSource {
    let devicePath: String
    let choice: CameraChoice
    let modes: [CameraMode]
    private let device: V4L2Device
    private let decoding: ImageDecodingOptions

    init(devicePath: String, options: FrameSourceOptions) throws {
        self.devicePath = devicePath
        let device = try V4L2Device(path: devicePath)
        let modes = try device.enumerateModes()
        guard let choice = CameraNegotiation.choose(from: modes, width: options.width, height: options.height,
                                                     frameRate: options.frameRate, format: options.cameraFormat) else {
            device.shutdown()
            throw FrameSourceError.device("\(devicePath) offers no MJPEG or YUYV mode (offers: \(modes.map(\.description).joined(separator: ", ")))")
        }
        do {
            try device.start(choice)
        } catch {
            device.shutdown()
            throw error
        }
        self.device = device
        self.modes = modes
        self.choice = device.active ?? choice
        var decoding = options.decoding
        decoding.allowRecoverableErrors = true  // cameras occasionally send a damaged MJPEG frame
        self.decoding = decoding
    }

    func nextFrame() async throws -> RGBImage? {
        let device = self.device
        let frame = try await NIOThreadPool.singleton.runIfActive { try device.dequeue(timeoutMilliseconds: 5000) }
        let active = device.active ?? choice
        switch active.format {
        case .mjpeg:
            do { return try ImageCodec.decode(frame, options: decoding) } catch {
                throw FrameSourceError.badFrame(path: devicePath, error)
            }
        case .yuyv:
            return try frame.withUnsafeBytes { raw in try YUYV.toRGB(raw, width: active.width, height: active.height, stride: device.bytesPerLine) }
        }
    }

    func close() async {
        device.shutdown()
    }
}

/// The ioctl-level camera: capabilities, enumeration, format setting, mmap buffers, streaming.
final class V4L2Device: @unchecked Sendable {
    // @unchecked: `dequeue` runs on one pool thread at a time (the owning actor awaits it), and
    // `shutdown` is guarded by the lock against running twice.
    private let fd: Int32
    private let path: String
    private var buffers: [(pointer: UnsafeMutableRawPointer, length: Int)] = []
    private(set) var active: CameraChoice?
    private(set) var bytesPerLine: Int?
    private let lock = NSLock()
    private var closed = false

    init(path: String) throws {
        self.path = path
        let fd = Glibc.open(path, O_RDWR | O_NONBLOCK | O_CLOEXEC)
        guard fd >= 0 else {
            let reason = String(cString: strerror(errno))
            throw FrameSourceError.device("cannot open \(path): \(reason) (is the camera connected, and may this user read it? try the video group)")
        }
        self.fd = fd
        var caps = v4l2_capability()
        guard ef_ioctl(fd, EF_VIDIOC_QUERYCAP, &caps) == 0 else {
            Glibc.close(fd)
            throw FrameSourceError.device("\(path) is not a V4L2 device (\(String(cString: strerror(errno))))")
        }
        let capabilities = (caps.capabilities & UInt32(V4L2_CAP_DEVICE_CAPS)) != 0 ? caps.device_caps : caps.capabilities
        guard capabilities & UInt32(V4L2_CAP_VIDEO_CAPTURE) != 0, capabilities & UInt32(V4L2_CAP_STREAMING) != 0 else {
            Glibc.close(fd)
            throw FrameSourceError.device("\(path) cannot capture video by streaming (capabilities 0x\(String(capabilities, radix: 16)))")
        }
    }

    func enumerateModes() throws -> [CameraMode] {
        var modes: [CameraMode] = []
        var formatIndex: UInt32 = 0
        while formatIndex < 64 {
            var description = v4l2_fmtdesc()
            description.index = formatIndex
            description.type = V4L2_BUF_TYPE_VIDEO_CAPTURE.rawValue
            guard ef_ioctl(fd, EF_VIDIOC_ENUM_FMT, &description) == 0 else { break }
            formatIndex += 1
            let format: CameraPixelFormat
            switch description.pixelformat {
            case EF_V4L2_PIX_FMT_MJPEG, EF_V4L2_PIX_FMT_JPEG: format = .mjpeg
            case EF_V4L2_PIX_FMT_YUYV: format = .yuyv
            default: continue
            }
            var sizeIndex: UInt32 = 0
            while sizeIndex < 256 {
                var size = v4l2_frmsizeenum()
                size.index = sizeIndex
                size.pixel_format = description.pixelformat
                guard ef_ioctl(fd, EF_VIDIOC_ENUM_FRAMESIZES, &size) == 0 else { break }
                sizeIndex += 1
                if size.type == V4L2_FRMSIZE_TYPE_DISCRETE.rawValue {
                    let w = Int(size.discrete.width), h = Int(size.discrete.height)
                    modes.append(CameraMode(format: format, width: w, height: h,
                                            frameRates: rates(pixelFormat: description.pixelformat, width: w, height: h)))
                } else {
                    // Stepwise or continuous: offer the common sizes that fit the range.
                    let s = size.stepwise
                    for (w, h) in [(320, 240), (640, 480), (1280, 720), (1920, 1080)]
                    where w >= s.min_width && w <= s.max_width && h >= s.min_height && h <= s.max_height {
                        modes.append(CameraMode(format: format, width: w, height: h,
                                                frameRates: rates(pixelFormat: description.pixelformat, width: w, height: h)))
                    }
                    break
                }
            }
        }
        return modes
    }

    private func rates(pixelFormat: UInt32, width: Int, height: Int) -> [Double] {
        var result: [Double] = []
        var index: UInt32 = 0
        while index < 64 {
            var interval = v4l2_frmivalenum()
            interval.index = index
            interval.pixel_format = pixelFormat
            interval.width = UInt32(width)
            interval.height = UInt32(height)
            guard ef_ioctl(fd, EF_VIDIOC_ENUM_FRAMEINTERVALS, &interval) == 0 else { break }
            index += 1
            if interval.type == V4L2_FRMIVAL_TYPE_DISCRETE.rawValue, interval.discrete.numerator > 0 {
                result.append(Double(interval.discrete.denominator) / Double(interval.discrete.numerator))
            } else {
                break
            }
        }
        return result
    }

    func start(_ choice: CameraChoice) throws {
        var format = v4l2_format()
        format.type = V4L2_BUF_TYPE_VIDEO_CAPTURE.rawValue
        format.fmt.pix.width = UInt32(choice.width)
        format.fmt.pix.height = UInt32(choice.height)
        format.fmt.pix.pixelformat = choice.format == .mjpeg ? EF_V4L2_PIX_FMT_MJPEG : EF_V4L2_PIX_FMT_YUYV
        format.fmt.pix.field = V4L2_FIELD_ANY.rawValue
        guard ef_ioctl(fd, EF_VIDIOC_S_FMT, &format) == 0 else {
            throw FrameSourceError.device("\(path) refused \(choice.format) \(choice.width)x\(choice.height): \(String(cString: strerror(errno)))")
        }
        // The driver may adjust the request; use what it actually set.
        let actualFormat: CameraPixelFormat = format.fmt.pix.pixelformat == EF_V4L2_PIX_FMT_YUYV ? .yuyv : .mjpeg
        active = CameraChoice(format: actualFormat, width: Int(format.fmt.pix.width), height: Int(format.fmt.pix.height), frameRate: choice.frameRate)
        bytesPerLine = format.fmt.pix.bytesperline > 0 ? Int(format.fmt.pix.bytesperline) : nil
        if let rate = choice.frameRate, rate > 0 {
            var parameters = v4l2_streamparm()
            parameters.type = V4L2_BUF_TYPE_VIDEO_CAPTURE.rawValue
            parameters.parm.capture.timeperframe.numerator = 1000
            parameters.parm.capture.timeperframe.denominator = UInt32(rate * 1000)
            _ = ef_ioctl(fd, EF_VIDIOC_S_PARM, &parameters)  // optional: some drivers have a fixed rate
        }
        var request = v4l2_requestbuffers()
        request.count = 4
        request.type = V4L2_BUF_TYPE_VIDEO_CAPTURE.rawValue
        request.memory = V4L2_MEMORY_MMAP.rawValue
        guard ef_ioctl(fd, EF_VIDIOC_REQBUFS, &request) == 0, request.count >= 2 else {
            throw FrameSourceError.device("\(path) gave no capture buffers: \(String(cString: strerror(errno)))")
        }
        for index in 0..<request.count {
            var buffer = v4l2_buffer()
            buffer.type = V4L2_BUF_TYPE_VIDEO_CAPTURE.rawValue
            buffer.memory = V4L2_MEMORY_MMAP.rawValue
            buffer.index = index
            guard ef_ioctl(fd, EF_VIDIOC_QUERYBUF, &buffer) == 0 else {
                throw FrameSourceError.device("cannot query buffer \(index): \(String(cString: strerror(errno)))")
            }
            let length = Int(buffer.length)
            let pointer = mmap(nil, length, PROT_READ | PROT_WRITE, MAP_SHARED, fd, off_t(buffer.m.offset))
            guard let pointer, pointer != MAP_FAILED else {
                throw FrameSourceError.device("cannot map buffer \(index): \(String(cString: strerror(errno)))")
            }
            buffers.append((pointer, length))
            guard ef_ioctl(fd, EF_VIDIOC_QBUF, &buffer) == 0 else {
                throw FrameSourceError.device("cannot queue buffer \(index): \(String(cString: strerror(errno)))")
            }
        }
        var type = Int32(V4L2_BUF_TYPE_VIDEO_CAPTURE.rawValue)
        guard ef_ioctl(fd, EF_VIDIOC_STREAMON, &type) == 0 else {
            throw FrameSourceError.device("\(path) would not start streaming: \(String(cString: strerror(errno)))")
        }
    }

    /// Waits for the next filled buffer, copies it out and gives the buffer back to the driver.
    func dequeue(timeoutMilliseconds: Int32) throws -> [UInt8] {
        var descriptor = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        let ready = poll(&descriptor, 1, timeoutMilliseconds)
        guard ready > 0 else {
            throw FrameSourceError.device(ready == 0 ? "no frame from \(path) within \(timeoutMilliseconds) ms" : "poll failed: \(String(cString: strerror(errno)))")
        }
        var buffer = v4l2_buffer()
        buffer.type = V4L2_BUF_TYPE_VIDEO_CAPTURE.rawValue
        buffer.memory = V4L2_MEMORY_MMAP.rawValue
        guard ef_ioctl(fd, EF_VIDIOC_DQBUF, &buffer) == 0 else {
            throw FrameSourceError.device("cannot take a frame from \(path): \(String(cString: strerror(errno)))")
        }
        defer { _ = ef_ioctl(fd, EF_VIDIOC_QBUF, &buffer) }
        let index = Int(buffer.index)
        guard index < buffers.count else { throw FrameSourceError.device("driver returned buffer \(index) of \(buffers.count)") }
        let used = min(Int(buffer.bytesused), buffers[index].length)
        return Array(UnsafeRawBufferPointer(start: buffers[index].pointer, count: used))
    }

    func shutdown() {
        lock.lock()
        defer { lock.unlock() }
        guard !closed else { return }
        closed = true
        var type = Int32(V4L2_BUF_TYPE_VIDEO_CAPTURE.rawValue)
        _ = ef_ioctl(fd, EF_VIDIOC_STREAMOFF, &type)
        for buffer in buffers { munmap(buffer.pointer, buffer.length) }
        buffers = []
        Glibc.close(fd)
    }

    deinit { shutdown() }
}
