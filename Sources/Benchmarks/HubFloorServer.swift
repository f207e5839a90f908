import ArgumentParser
import DevelopmentTLS
import Foundation
import Hummingbird
import HummingbirdTLS
import ListenerSafety
import Logging
import NIOCore
import NIOPosix

/// `edgefactor-bench hub-floor-server`: the hub's stacks doing nothing but their own work, as the
/// hub benchmark's floors, in a process of their own like the hub.
///
/// - MQTT: accepts TCP on 127.0.0.1, answers the first bytes of each connection with a CONNACK and
///   holds the connection: what an idle connection costs a SwiftNIO server (its RSS growth).
/// - REST (with `--certificates`): Hummingbird over TLS with the hub's certificate, answering a
///   direct-method call at once with a fixed result: what the HTTPS round trip of a direct method
///   costs on these stacks, without the hub's work or the device's.
///
/// Prints the MQTT port and the REST port (0 when off) on one line.
struct HubFloorServer: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "hub-floor-server",
        abstract: "A bare SwiftNIO server holding idle MQTT connections (the hub benchmark's memory floor).",
        shouldDisplay: false
    )

    @Option(help: "The hub's certs directory (its development CA and server certificate) for the REST floor.")
    var certificates: String?

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
        let mqttPort = channel.localAddress?.port ?? 0
        guard let certificates else {
            FileHandle.standardOutput.write(Data("\(mqttPort) 0\n".utf8))
            try await channel.closeFuture.get()
            return
        }
        let identity = try DevelopmentCertificates.loadOrCreate(in: URL(fileURLWithPath: certificates), hostName: "localhost")
        let tls = try ServerTLSConfiguration.make(
            chainPEM: identity.serverCertificatePEM + identity.caCertificatePEM, keyPEM: identity.serverKeyPEM
        )
        let router = Router()
        let result = ByteBuffer(string: #"{"status":200,"payload":{"n":0}}"#)
        router.post("/twins/:deviceId/methods") { request, _ -> Response in
            _ = try await request.body.collect(upTo: 256 * 1024)
            return Response(status: .ok, headers: [.contentType: "application/json; charset=utf-8"], body: .init(byteBuffer: result))
        }
        var logger = Logger(label: "edgefactor.bench.floor")
        logger.logLevel = .critical
        let app = Application(
            router: router,
            server: try .tls(.http1(), tlsConfiguration: tls),
            configuration: .init(address: .hostname("127.0.0.1", port: 0), serverName: nil),
            onServerRunning: { rest in
                FileHandle.standardOutput.write(Data("\(mqttPort) \(rest.localAddress?.port ?? 0)\n".utf8))
            },
            logger: logger
        )
        try await app.runService()
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
