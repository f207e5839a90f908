import Crypto
import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
import Synchronization

/// A stand-in for the IoT Edge workload API on a unix socket, written from Microsoft's documented
/// API: `POST /modules/{module}/genid/{gen}/sign` signs with one module's key, `GET /trust-bundle`
/// serves a CA. It counts the sign requests (token renewals are visible as more of them).
final class WorkloadStandIn: Sendable {
    let socketPath: String
    private let channel: any Channel
    private let state: SharedState

    struct State {
        var signRequests = 0
    }

    /// The counters the connection handlers update.
    final class SharedState: Sendable {
        let lock = Mutex(State())
    }

    /// Listens on a fresh socket in a temporary folder.
    static func start(moduleId: String, generationId: String, key: String, trustBundle: String) async throws -> WorkloadStandIn {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("workload-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let path = directory.appendingPathComponent("workload.sock").path
        let state = SharedState()
        let keyBytes = Data(base64Encoded: key) ?? Data()
        let responder = Responder(
            moduleId: moduleId, generationId: generationId, key: keyBytes, trustBundle: trustBundle, state: state)
        let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline()
                    try channel.pipeline.syncOperations.addHandler(WorkloadHandler(responder: responder))
                }
            }
            .bind(unixDomainSocketPath: path)
            .get()
        return WorkloadStandIn(socketPath: path, channel: channel, state: state)
    }

    private init(socketPath: String, channel: any Channel, state: SharedState) {
        self.socketPath = socketPath
        self.channel = channel
        self.state = state
    }

    var uri: String { "unix://\(socketPath)" }
    var signRequests: Int { state.lock.withLock { $0.signRequests } }

    func stop() async {
        try? await channel.close()
        try? FileManager.default.removeItem(atPath: (socketPath as NSString).deletingLastPathComponent)
    }
}

/// Answers one request of the workload API.
private struct Responder: Sendable {
    let moduleId: String
    let generationId: String
    let key: Data
    let trustBundle: String
    let state: WorkloadStandIn.SharedState

    func respond(method: HTTPMethod, uri: String, body: Data) -> (HTTPResponseStatus, Data) {
        let parts = uri.split(separator: "?", maxSplits: 1)
        let path = parts.first.map(String.init) ?? ""
        guard parts.count == 2, parts[1].hasPrefix("api-version=") else {
            return (.badRequest, Self.json(["message": "api-version is required"]))
        }
        if method == .GET, path == "/trust-bundle" {
            return (.ok, Self.json(["certificate": trustBundle]))
        }
        guard method == .POST, path == "/modules/\(moduleId)/genid/\(generationId)/sign" else {
            return (.notFound, Self.json(["message": "no such module or generation: \(path)"]))
        }
        guard let request = try? JSONDecoder().decode([String: String].self, from: body),
              request["keyId"] == "primary", request["algo"] == "HMACSHA256",
              let data = request["data"].flatMap({ Data(base64Encoded: $0) })
        else {
            return (.badRequest, Self.json(["message": "expected keyId primary, algo HMACSHA256 and base64 data"]))
        }
        state.lock.withLock { $0.signRequests += 1 }
        let mac = HMAC<SHA256>.authenticationCode(for: data, using: SymmetricKey(data: key))
        return (.ok, Self.json(["digest": Data(mac).base64EncodedString()]))
    }

    static func json(_ object: [String: String]) -> Data {
        (try? JSONEncoder().encode(object)) ?? Data()
    }
}

private final class WorkloadHandler: ChannelInboundHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    private let responder: Responder
    private var head: HTTPRequestHead?
    private var body = Data()

    init(responder: Responder) {
        self.responder = responder
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            self.head = head
            body = Data()
        case .body(let buffer):
            body.append(contentsOf: buffer.readableBytesView)
        case .end:
            guard let head else { return }
            let (status, answer) = responder.respond(method: head.method, uri: head.uri, body: body)
            var headers = HTTPHeaders()
            headers.add(name: "Content-Type", value: "application/json")
            headers.add(name: "Content-Length", value: "\(answer.count)")
            context.write(wrapOutboundOut(.head(HTTPResponseHead(version: head.version, status: status, headers: headers))), promise: nil)
            context.write(wrapOutboundOut(.body(.byteBuffer(ByteBuffer(bytes: answer)))), promise: nil)
            context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
            self.head = nil
        }
    }
}
