import ArgumentParser
import Foundation
import ListenerSafety
import NIOCore
import NIOPosix

/// `edgefactor-bench hub-floor-server`: what an idle connection costs a SwiftNIO server that does
/// nothing else. It accepts TCP on 127.0.0.1, answers the first bytes of each connection with a
/// CONNACK and holds the connection; the hub benchmark runs it as its own process and reads its RSS
/// growth per connection, the floor under the hub's figure on this stack.
struct HubFloorServer: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "hub-floor-server",
        abstract: "A bare SwiftNIO server holding idle MQTT connections (the hub benchmark's memory floor).",
        shouldDisplay: false
    )

    func run() async throws {
        FileDescriptorLimit.raiseToHardLimit()
        let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.backlog, value: 4096)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
            // The hub's MQTT listener settings (HubServer.mqttReceiveAllocator).
            .childChannelOption(.recvAllocator, value: AdaptiveRecvByteBufferAllocator(minimum: 512, initial: 512, maximum: 64 * 1024))
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(FloorConnAckHandler())
                }
            }
            .bind(host: "127.0.0.1", port: 0)
            .get()
        FileHandle.standardOutput.write(Data("\(channel.localAddress?.port ?? 0)\n".utf8))
        try await channel.closeFuture.get()
    }
}

/// Answers a connection's first read with CONNACK (accepted) and ignores the rest.
private final class FloorConnAckHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer
    private var answered = false

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !answered else { return }
        answered = true
        var ack = context.channel.allocator.buffer(capacity: 4)
        ack.writeBytes([0x20, 0x02, 0x00, 0x00])
        context.writeAndFlush(wrapOutboundOut(ack), promise: nil)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }
}
