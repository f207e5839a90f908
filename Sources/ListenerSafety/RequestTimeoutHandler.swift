import HTTPTypes
import NIOCore
import NIOHTTPTypes

/// Enforces ``ListenerLimits``' header, body and idle timeouts on one HTTP/1 connection (see
/// ``ConnectionTimeouts`` for the rules); sits after the HTTP codec in a Hummingbird pipeline.
final class RequestTimeoutHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart
    typealias OutboundIn = HTTPResponsePart
    typealias OutboundOut = HTTPResponsePart

    private var state: ConnectionTimeouts
    private var timer: Scheduled<Void>?
    private var generation: UInt64 = 0

    init(limits: ListenerLimits) {
        state = ConnectionTimeouts(limits: limits)
    }

    func handlerAdded(context: ChannelHandlerContext) {
        if context.channel.isActive { apply(state.connected(), context: context) }
    }

    func channelActive(context: ChannelHandlerContext) {
        apply(state.connected(), context: context)
        context.fireChannelActive()
    }

    func channelInactive(context: ChannelHandlerContext) {
        apply(.cancel, context: context)
        context.fireChannelInactive()
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        apply(.cancel, context: context)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head: apply(state.headReceived(), context: context)
        case .body: apply(state.bodyReceived(), context: context)
        case .end: apply(state.endReceived(), context: context)
        }
        context.fireChannelRead(data)
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        switch unwrapOutboundIn(data) {
        case .head(let head) where head.status.kind != .informational: apply(state.answerStarted(), context: context)
        case .end: apply(state.answerEnded(), context: context)
        default: break
        }
        context.write(data, promise: promise)
    }

    private func apply(_ change: ConnectionTimeouts.Timer, context: ChannelHandlerContext) {
        switch change {
        case .keep:
            return
        case .cancel:
            timer?.cancel()
            timer = nil
            generation &+= 1
        case .arm(let delay):
            timer?.cancel()
            generation &+= 1
            let armed = generation
            timer = context.eventLoop.assumeIsolated().scheduleTask(in: TimeAmount(delay)) { [self] in
                guard generation == armed else { return }
                timer = nil
                fire(context: context)
            }
        }
    }

    private func fire(context: ChannelHandlerContext) {
        switch state.expired() {
        case .ignore:
            return
        case .close:
            context.close(promise: nil)
        case .requestTimeout:
            var head = HTTPResponse(status: .requestTimeout)
            head.headerFields[.connection] = "close"
            head.headerFields[.contentLength] = "0"
            context.write(wrapOutboundOut(.head(head)), promise: nil)
            context.writeAndFlush(wrapOutboundOut(.end(nil))).assumeIsolated().whenComplete { _ in context.close(promise: nil) }
        }
    }
}

@available(*, unavailable)
extension RequestTimeoutHandler: Sendable {}
