import NIOCore
import NIOHTTP1
import NIOPosix
import Synchronization

/// An MJPEG-over-HTTP preview: `GET /` streams every published frame as
/// `multipart/x-mixed-replace` (browsers and VLC show it live); `GET /frame.jpg` returns the latest
/// frame. Slow clients skip frames instead of buffering them. A connection must send its request
/// within ``requestTimeout`` (and a kept-alive one its next request), and at most four times
/// ``maximumClients`` connections are open at once, so clients that never ask cannot pile up.
package final class MJPEGStreamServer: Sendable {
    package static let boundary = "edgefactorframe"
    /// Clients beyond this are answered 503.
    package let maximumClients: Int
    /// How long a connection may take to send a request before it is closed.
    package let requestTimeout: Duration

    private let channel: any Channel
    private let state: SharedState

    struct State {
        var clients: [ObjectIdentifier: any Channel] = [:]
        var latest: ByteBuffer?
        /// Open connections, viewers or not.
        var connections = 0
    }

    /// The viewers and the latest frame, shared by the server and its connection handlers.
    final class SharedState: Sendable {
        private let mutex = Mutex(State())
        func withLock<R>(_ body: (inout State) -> R) -> R { mutex.withLock { body(&$0) } }
    }

    /// The bound port (useful when started on port 0).
    package var port: Int { channel.localAddress?.port ?? 0 }

    /// Starts listening on `host:port` (port 0 picks a free one). Binds to loopback by default.
    ///
    /// - Parameters:
    ///   - host: address to bind (loopback by default).
    ///   - port: port to bind; 0 picks a free one.
    ///   - maximumClients: viewers at once; four times as many connections at once.
    ///   - requestTimeout: time a connection has to send each request (10 s by default).
    package static func start(
        host: String = "127.0.0.1", port: Int, maximumClients: Int = 16, requestTimeout: Duration = .seconds(10)
    ) async throws -> MJPEGStreamServer {
        let state = SharedState()
        let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.backlog, value: 16)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.pipeline.configureHTTPServerPipeline().flatMap {
                    channel.pipeline.addHandler(MJPEGHandler(state: state, maximumClients: maximumClients, requestTimeout: TimeAmount(requestTimeout)))
                }
            }
            .bind(host: host, port: port)
            .get()
        return MJPEGStreamServer(channel: channel, state: state, maximumClients: maximumClients, requestTimeout: requestTimeout)
    }

    private init(channel: any Channel, state: SharedState, maximumClients: Int, requestTimeout: Duration) {
        self.channel = channel
        self.state = state
        self.maximumClients = maximumClients
        self.requestTimeout = requestTimeout
    }

    /// Number of clients watching the stream.
    package var clientCount: Int { state.withLock { $0.clients.count } }

    /// Sends a JPEG to every streaming client and keeps it for `/frame.jpg`.
    package func publish(jpeg: [UInt8]) {
        var part = ByteBuffer()
        part.writeString("--\(Self.boundary)\r\nContent-Type: image/jpeg\r\nContent-Length: \(jpeg.count)\r\n\r\n")
        part.writeBytes(jpeg)
        part.writeString("\r\n")
        let clients = state.withLock { state -> [any Channel] in
            state.latest = ByteBuffer(bytes: jpeg)
            return Array(state.clients.values)
        }
        for client in clients where client.isWritable {
            client.writeAndFlush(HTTPServerResponsePart.body(.byteBuffer(part)), promise: nil)
        }
    }

    /// Encodes and publishes an image.
    package func publish(_ image: RGBImage, quality: Int = 80) throws {
        publish(jpeg: try ImageCodec.encodeJPEG(image, quality: quality))
    }

    /// Stops listening and disconnects every client.
    package func stop() async {
        let clients = state.withLock { state -> [any Channel] in
            defer { state.clients = [:] }
            return Array(state.clients.values)
        }
        for client in clients { try? await client.close() }
        try? await channel.close()
    }
}

private final class MJPEGHandler: ChannelInboundHandler, @unchecked Sendable {
    // @unchecked: NIO calls a handler only on its channel's event loop.
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    private let state: MJPEGStreamServer.SharedState
    private let maximumClients: Int
    private var request: HTTPRequestHead?
    private let requestTimeout: TimeAmount
    private var requestTimer: Scheduled<Void>?
    private var counted = false

    init(state: MJPEGStreamServer.SharedState, maximumClients: Int, requestTimeout: TimeAmount) {
        self.state = state
        self.maximumClients = maximumClients
        self.requestTimeout = requestTimeout
    }

    func channelActive(context: ChannelHandlerContext) {
        let admitted = state.withLock { state -> Bool in
            guard state.connections < 4 * maximumClients else { return false }
            state.connections += 1
            return true
        }
        guard admitted else {
            context.close(promise: nil)
            return
        }
        counted = true
        armRequestTimer(context: context)
        context.fireChannelActive()
    }

    /// Closes the connection unless a request arrives in time.
    private func armRequestTimer(context: ChannelHandlerContext) {
        requestTimer?.cancel()
        requestTimer = context.eventLoop.assumeIsolated().scheduleTask(in: requestTimeout) {
            context.close(promise: nil)
        }
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            request = head
        case .body:
            break
        case .end:
            guard let head = request else { return }
            request = nil
            requestTimer?.cancel()
            requestTimer = nil
            respond(to: head, context: context)
            // A kept-alive connection has the same time for its next request (a stream never asks again).
            if head.uri.split(separator: "?").first != "/" { armRequestTimer(context: context) }
        }
    }

    private func respond(to head: HTTPRequestHead, context: ChannelHandlerContext) {
        guard head.method == .GET || head.method == .HEAD else {
            return simple(context, status: .methodNotAllowed, body: "only GET\n")
        }
        let path = head.uri.split(separator: "?").first.map(String.init) ?? "/"
        switch path {
        case "/frame.jpg":
            guard let latest = state.withLock({ $0.latest }) else {
                return simple(context, status: .serviceUnavailable, body: "no frame yet\n")
            }
            var headers = HTTPHeaders()
            headers.add(name: "Content-Type", value: "image/jpeg")
            headers.add(name: "Content-Length", value: "\(latest.readableBytes)")
            headers.add(name: "Cache-Control", value: "no-store")
            context.write(wrapOutboundOut(.head(HTTPResponseHead(version: head.version, status: .ok, headers: headers))), promise: nil)
            if head.method == .GET { context.write(wrapOutboundOut(.body(.byteBuffer(latest))), promise: nil) }
            context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
        case "/":
            let channel = context.channel
            let admitted = state.withLock { state -> Bool in
                guard state.clients.count < maximumClients else { return false }
                state.clients[ObjectIdentifier(channel)] = channel
                return true
            }
            guard admitted else { return simple(context, status: .serviceUnavailable, body: "too many viewers\n") }
            var headers = HTTPHeaders()
            headers.add(name: "Content-Type", value: "multipart/x-mixed-replace; boundary=\(MJPEGStreamServer.boundary)")
            headers.add(name: "Cache-Control", value: "no-store")
            headers.add(name: "Connection", value: "close")
            context.writeAndFlush(wrapOutboundOut(.head(HTTPResponseHead(version: head.version, status: .ok, headers: headers))), promise: nil)
            // Send the latest frame at once, so a new viewer sees something immediately.
            if let latest = state.withLock({ $0.latest }) {
                var part = context.channel.allocator.buffer(capacity: latest.readableBytes + 128)
                part.writeString("--\(MJPEGStreamServer.boundary)\r\nContent-Type: image/jpeg\r\nContent-Length: \(latest.readableBytes)\r\n\r\n")
                part.writeImmutableBuffer(latest)
                part.writeString("\r\n")
                context.writeAndFlush(wrapOutboundOut(.body(.byteBuffer(part))), promise: nil)
            }
        default:
            simple(context, status: .notFound, body: "try / (MJPEG stream) or /frame.jpg\n")
        }
    }

    private func simple(_ context: ChannelHandlerContext, status: HTTPResponseStatus, body: String) {
        var headers = HTTPHeaders()
        headers.add(name: "Content-Type", value: "text/plain; charset=utf-8")
        headers.add(name: "Content-Length", value: "\(body.utf8.count)")
        context.write(wrapOutboundOut(.head(HTTPResponseHead(version: .http1_1, status: status, headers: headers))), promise: nil)
        context.write(wrapOutboundOut(.body(.byteBuffer(context.channel.allocator.buffer(string: body)))), promise: nil)
        context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
    }

    func channelInactive(context: ChannelHandlerContext) {
        requestTimer?.cancel()
        let id = ObjectIdentifier(context.channel)
        let counted = self.counted
        state.withLock { state in
            _ = state.clients.removeValue(forKey: id)
            if counted { state.connections -= 1 }
        }
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }
}
