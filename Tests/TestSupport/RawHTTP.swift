import NIOCore
import NIOPosix

/// HTTP/1.1 as raw bytes over a plain TCP connection, for requests no client library would send:
/// heads that never end, bodies that stall, numbers no SDK would put on the wire.
public enum RawHTTP {
    /// Opens `count` connections that each send a request head's first line and stop there,
    /// the way a slow-loris client ties up a server.
    public static func halfOpen(port: Int, count: Int) async throws -> [RawConnection] {
        var connections: [RawConnection] = []
        for _ in 0..<count {
            let connection = try await RawConnection.open(port: port)
            try await connection.send("GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ")
            connections.append(connection)
        }
        return connections
    }

    /// A response as read off the wire.
    public struct Response: Sendable {
        /// The status code of the first response, 0 if the server closed without one.
        public var status: Int
        /// Everything the server sent, decoded as UTF-8.
        public var text: String
    }

    /// Sends `request` (a complete request; add `Connection: close`) and reads until the server
    /// closes the connection.
    public static func exchange(port: Int, _ request: String) async throws -> Response {
        let connection = try await RawConnection.open(port: port)
        try await connection.send(request)
        return await connection.readUntilClosed()
    }
}

/// One TCP connection to `127.0.0.1:port` that a test writes to as it pleases.
public final class RawConnection: Sendable {
    private let channel: any Channel
    private let received: AsyncStream<ByteBuffer>

    private init(channel: any Channel, received: AsyncStream<ByteBuffer>) {
        self.channel = channel
        self.received = received
    }

    /// Connects; nothing is sent yet.
    public static func open(port: Int) async throws -> RawConnection {
        let (stream, continuation) = AsyncStream.makeStream(of: ByteBuffer.self)
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(Collector(continuation: continuation))
                }
            }
            .connect(host: "127.0.0.1", port: port).get()
        return RawConnection(channel: channel, received: stream)
    }

    /// Writes `text` as it is (no framing added).
    public func send(_ text: String) async throws {
        try await channel.writeAndFlush(ByteBuffer(string: text))
    }

    /// Reads until the server closes the connection and returns what came.
    public func readUntilClosed() async -> RawHTTP.Response {
        var buffer = ByteBuffer()
        for await var chunk in received { buffer.writeBuffer(&chunk) }
        let text = String(buffer: buffer)
        let status = text.split(separator: " ", maxSplits: 2).dropFirst().first.flatMap { Int($0) } ?? 0
        return RawHTTP.Response(status: status, text: text)
    }

    /// Like ``readUntilClosed()``, but gives up after `limit` (a guard against hanging the test
    /// run, far above any timeout under test): `nil` if the server kept the connection open.
    public func readUntilClosed(within limit: Duration) async -> RawHTTP.Response? {
        await withTaskGroup(of: RawHTTP.Response?.self) { group in
            group.addTask { await self.readUntilClosed() }
            group.addTask {
                try? await Task.sleep(for: limit)
                return nil
            }
            let first = await group.next() ?? nil
            if first == nil { close() }
            group.cancelAll()
            return first
        }
    }

    /// Whether the server has closed the connection.
    public var isClosed: Bool { !channel.isActive }

    /// Closes the connection from this side.
    public func close() {
        channel.close(promise: nil)
    }
}

/// Hands every byte received to a stream, and ends it when the connection closes.
private final class Collector: ChannelInboundHandler, Sendable {
    typealias InboundIn = ByteBuffer
    let continuation: AsyncStream<ByteBuffer>.Continuation

    init(continuation: AsyncStream<ByteBuffer>.Continuation) {
        self.continuation = continuation
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        continuation.yield(unwrapInboundIn(data))
    }

    func channelInactive(context: ChannelHandlerContext) {
        continuation.finish()
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }
}
