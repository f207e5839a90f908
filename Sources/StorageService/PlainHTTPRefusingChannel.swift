import AzureStorage
import HummingbirdCore
import Logging
import NIOCore

/// Wraps an HTTPS child channel so that a plain-HTTP request on the TLS port gets a readable
/// `400` saying to use https, instead of a reset connection: the first byte of a TLS connection
/// is a handshake record (0x16), which no HTTP request line starts with.
struct PlainHTTPRefusingChannel<Base: ServerChildChannel>: ServerChildChannel {
    typealias Value = Base.Value
    let base: Base

    func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Value> {
        channel.eventLoop.makeCompletedFuture {
            try channel.pipeline.syncOperations.addHandler(PlainHTTPRefusalHandler())
        }.flatMap {
            base.setup(channel: channel, logger: logger)
        }
    }

    func handle(value: Value, logger: Logger) async {
        await base.handle(value: value, logger: logger)
    }
}

/// Looks at a connection's first byte: a TLS handshake passes on (and this handler leaves the
/// pipeline); anything else is answered in plain text and closed.
final class PlainHTTPRefusalHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer
    typealias OutboundOut = ByteBuffer

    static let tlsHandshakeRecord: UInt8 = 0x16
    static let message = "This port serves HTTPS: use https:// in the endpoint (DefaultEndpointsProtocol=https, BlobEndpoint=https://..., QueueEndpoint=https://...) and trust the storage's CA.\n"

    private enum State { case undecided, tls, refused }
    private var state = State.undecided

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch state {
        case .tls: context.fireChannelRead(data); return
        case .refused: return  // the rest of a plain request; the connection is closing
        case .undecided: break
        }
        let buffer = unwrapInboundIn(data)
        guard let first = buffer.getInteger(at: buffer.readerIndex, as: UInt8.self) else { return }
        if first == Self.tlsHandshakeRecord {
            state = .tls
            context.fireChannelRead(data)
            context.pipeline.syncOperations.removeHandler(context: context, promise: nil)
            return
        }
        state = .refused
        let body = Self.message
        let head = "HTTP/1.1 400 Bad Request\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: \(body.utf8.count)\r\nConnection: close\r\nx-ms-error-code: \(StorageErrorCode.plainHTTPOnHTTPSPort)\r\n\r\n"
        var response = context.channel.allocator.buffer(capacity: head.utf8.count + body.utf8.count)
        response.writeString(head)
        response.writeString(body)
        let channel = context.channel
        context.writeAndFlush(wrapOutboundOut(response)).whenComplete { _ in
            channel.close(promise: nil)
        }
    }
}
