import EdgeFactorSupport
import Foundation
import Logging
import MQTT
import NIOCore
import NIOSSL

/// The MQTT session of one device or module identity: connection, keep-alive, reconnect with
/// backoff, re-subscription, acknowledgements and request/response matching. ``DeviceClient`` and
/// ``ModuleClient`` are thin fronts over it.
actor HubSession {
    typealias MethodHandler = @Sendable (MethodRequest) async -> MethodResponse
    typealias TwinResponse = (status: Int, version: Int?, body: Data)

    /// IoT Hub's limit on a device-to-cloud message body.
    static let telemetrySizeLimit = 256 * 1024

    /// Who the client is and where it dials (a connection string; its key is only used through `signer`).
    let connectionString: IoTHubConnectionString
    /// How each connection's SAS token is signed.
    let signer: SASSigner
    let options: HubClientOptions
    private let logger: Logger
    private var sslContext: NIOSSLContext?

    private var transport: MQTTClientTransport?
    /// Every decision about the session (ids, waiters, keep-alive, subscriptions); the actor does the I/O.
    private var state = StateMachine()
    /// Whether the MQTT session is up now (false while reconnecting).
    var connected: Bool { state.isConnected }
    private var isClosed = true
    private var connectedAt: ContinuousClock.Instant?
    /// The task that keeps the session: see ``connect()``.
    private var sessionTask: Task<Void, Never>?
    /// Work that outlives a connection (method handlers, the desired-properties resynchronisation),
    /// run as children of the session task.
    private var jobs: AsyncStream<@Sendable () async -> Void>.Continuation?
    /// How the first connection went, for ``connect()``.
    private var firstConnection: Reply<Void>?

    // The replies callers wait for, each with its deadline (``withDeadline(_:timeout:_:)``).
    private var connackReply: (generation: Int, reply: Reply<MQTTConnAck>)?
    private var connectedWaiters: [UUID: Reply<MQTTClientTransport>] = [:]
    private var pendingAcks: [UInt16: Reply<MQTTPacket>] = [:]
    private var twinWaiters: [String: Reply<TwinResponse>] = [:]
    private var methodHandler: MethodHandler?
    private let desiredStreams = DesiredStreams()

    init(connectionString: IoTHubConnectionString, options: HubClientOptions) {
        self.init(connectionString: connectionString, signer: .key(connectionString.sharedAccessKey), options: options)
    }

    init(connectionString: IoTHubConnectionString, signer: SASSigner, options: HubClientOptions) {
        self.connectionString = connectionString
        self.signer = signer
        self.options = options
        var logger = options.logger
        logger[metadataKey: "iothub.client"] = "\(clientId(of: connectionString))"
        self.logger = logger
    }

    // MARK: Connection lifecycle

    /// Connects, and keeps the session up (reconnecting with backoff, answering methods) until
    /// ``close()``. Returns once the first connection is up; throws if it cannot be made.
    func connect() async throws {
        guard isClosed else {
            _ = try await waitForConnection(until: .now + options.operationTimeout, operation: "connect")
            return
        }
        isClosed = false
        let first = Reply<Void>()
        firstConnection = first
        let (jobStream, jobs) = AsyncStream.makeStream(of: (@Sendable () async -> Void).self)
        self.jobs = jobs
        // The session outlives this call (the clients' API is connect/close), so it cannot be a
        // child of the caller: this is the one task it owns, and everything it does (connections,
        // their read loop, keep-alive and token renewal, method handlers) runs as its children.
        // close() cancels it and waits for it.
        sessionTask = Task { await self.live(jobs: jobStream) }
        do {
            try await first.value
        } catch {
            await endSession()
            throw error
        }
    }

    func close() async {
        guard !isClosed else { return }
        isClosed = true
        for waiter in connectedWaiters.values { waiter.fail(IoTHubClientError.notConnected) }
        connectedWaiters.removeAll()
        desiredStreams.finishAll()
        if let transport {
            await transport.send(.disconnect)
            transport.close()
            await transport.closed()
        }
        await endSession()
    }

    /// Cancels the session task (a reconnect backoff, method handlers still running) and waits for
    /// it; from one of its own method handlers it cannot wait for itself, so it only cancels.
    private func endSession() async {
        isClosed = true
        jobs?.finish()
        jobs = nil
        let task = sessionTask
        sessionTask = nil
        task?.cancel()
        guard !Self.isSessionJob else { return }
        await task?.value
    }

    /// Whether the current task is a job of a session (a method handler).
    @TaskLocal private static var isSessionJob = false

    /// The session task: connections one after the other, and the jobs beside them.
    private func live(jobs: AsyncStream<@Sendable () async -> Void>) async {
        await withDiscardingTaskGroup { group in
            group.addTask {
                await withDiscardingTaskGroup { handlers in
                    for await job in jobs {
                        handlers.addTask { await Self.$isSessionJob.withValue(true) { await job() } }
                    }
                }
            }
            await supervise()
            group.cancelAll()
        }
    }

    /// `hostOverride`, else `GatewayHostName`, else `HostName` (without a `:port`).
    private var dialHost: String {
        options.hostOverride ?? connectionString.gatewayHostNameWithoutPort ?? connectionString.hostNameWithoutPort
    }

    /// `port`, else the connection string's (`HostName=host:port` or `GatewayHostName=host:port`),
    /// else the transport's standard port.
    private var dialPort: Int {
        options.port ?? connectionString.port ?? (options.transport == .tls ? 8883 : 1883)
    }

    /// The SAS resource of this identity, on the hub's name without a port.
    private var resourceURI: String {
        var resource = "\(connectionString.hostNameWithoutPort)/devices/\(connectionString.deviceId ?? "")"
        if let moduleId = connectionString.moduleId { resource += "/modules/\(moduleId)" }
        return resource
    }

    private func makeTLSContext() throws -> NIOSSLContext? {
        guard options.transport == .tls else {
            guard HubClientOptions.isLoopback(dialHost) else {
                throw IoTHubConfigurationError("plain TCP is only allowed to a loopback host, not \(dialHost); use the TLS transport")
            }
            return nil
        }
        if let sslContext { return sslContext }
        var configuration = TLSConfiguration.makeClientConfiguration()
        configuration.minimumTLSVersion = .tlsv12
        if let pem = options.trustRootsPEM {
            do {
                configuration.trustRoots = .certificates(try NIOSSLCertificate.fromPEMBytes(Array(pem.utf8)))
            } catch {
                throw IoTHubConfigurationError("trust roots are not valid PEM certificates: \(error)")
            }
        }
        let context = try NIOSSLContext(configuration: configuration)
        sslContext = context
        return context
    }

    /// Signs a token and opens TCP (and TLS) to the hub.
    private func dial() async throws -> (MQTTClientConnection, SharedAccessSignature) {
        let tls = try makeTLSContext()
        // Signed before dialling: a signer that fails (the IoT Edge workload API away) leaves no
        // connection behind.
        let token = try await signer.token(
            resourceURI: resourceURI, expiresOn: Date() + options.sasTokenTimeToLive.inSeconds
        )
        let host = dialHost
        let isIPAddress = host.contains(":") || host.allSatisfy { $0.isNumber || $0 == "." }
        do {
            let connection = try await MQTTClientConnection.connect(
                host: host, port: dialPort, tls: tls, serverHostname: isIPAddress ? nil : host
            )
            return (connection, token)
        } catch {
            throw IoTHubClientError.connectionFailed("\(host):\(dialPort): \(error)")
        }
    }

    /// One connection, from dialling to its end: its read loop runs in this task, the handshake,
    /// keep-alive and token renewal as its children, all ended together when the connection ends.
    /// - Throws: when the connection never came up (refused, timed out, unreachable).
    private func runConnection() async throws {
        guard let deviceId = connectionString.deviceId else {
            throw IoTHubConfigurationError("a device or module client needs a connection string with DeviceId (this one is a service connection string)")
        }
        let (connection, token) = try await dial()
        let generation = state.connectStarted()
        var username = "\(connectionString.hostNameWithoutPort)/\(deviceId)/"
        if let moduleId = connectionString.moduleId { username += "\(moduleId)/" }
        username += "?api-version=2021-04-12&DeviceClientType=\(PercentEncoding.encode(options.productInfo))"
        let connect = MQTTConnect(
            clientId: clientId(of: connectionString),
            keepAliveSeconds: UInt16(clamping: options.keepAlive.components.seconds),
            cleanSession: false,
            username: username,
            password: Array(token.token.utf8)
        )
        let handshake = Reply<Void>()
        let closeError: (any Error)?
        do {
            closeError = try await connection.run { inbound, transport in
                self.transport = transport
                return await serve(inbound, via: transport, connect: connect, generation: generation, handshake: handshake)
            }
        } catch {
            closeError = error
        }
        connectionEnded(generation: generation, error: closeError)
        // The handshake has finished (its child ended with the connection): did it connect?
        try await handshake.value
    }

    /// Serves one connection until it closes: the read loop in this task, the handshake, then
    /// keep-alive and token renewal, as children that end with it. Returns why it closed.
    private func serve(
        _ inbound: NIOAsyncChannelInboundStream<MQTTPacket>, via transport: MQTTClientTransport,
        connect: MQTTConnect, generation: Int, handshake: Reply<Void>
    ) async -> (any Error)? {
        await withDiscardingTaskGroup { group -> (any Error)? in
            group.addTask {
                do {
                    try await self.handshake(connect, via: transport, generation: generation)
                    handshake.succeed(())
                } catch {
                    // Cancelled: the connection ended (or the session closed) mid-handshake.
                    handshake.fail(error is CancellationError ? IoTHubClientError.connectionLost : error)
                    transport.close()
                    return
                }
                await withDiscardingTaskGroup { timers in
                    timers.addTask { await self.runKeepAlive(transport, generation: generation) }
                    timers.addTask { await self.renewTokenBeforeExpiry(transport, generation: generation) }
                }
            }
            let closeError = await readLoop(inbound, from: transport)
            group.cancelAll()
            return closeError
        }
    }

    /// CONNECT, CONNACK (within the operation timeout) and re-subscription; then the session is up.
    private func handshake(_ connect: MQTTConnect, via transport: MQTTClientTransport, generation: Int) async throws {
        let reply = Reply<MQTTConnAck>()
        connackReply = (generation, reply)
        await transport.send(.connect(connect))
        let ack = try await withDeadline(.now + options.operationTimeout, timeout: IoTHubClientError.timedOut(operation: "CONNACK")) {
            try await reply.value
        }
        let resubscribe: [String]
        switch state.connackReceived(ack, generation: generation) {
        case .connected(let filters):
            resubscribe = filters
        case .refused(let code, let reason):
            throw IoTHubClientError.connectionRefused(code: code, reason: reason)
        case .ignore:
            throw IoTHubClientError.connectionLost
        }
        connectedAt = .now
        if !resubscribe.isEmpty {
            try await subscribeOnWire(resubscribe, via: transport)
        }
        for waiter in connectedWaiters.values { waiter.succeed(transport) }
        connectedWaiters.removeAll()
        firstConnection?.succeed(())
        firstConnection = nil
        logger.debug("connected", metadata: ["host": "\(dialHost):\(dialPort)", "sessionPresent": "\(ack.sessionPresent)"])
        if !desiredStreams.isEmpty, state.desiredVersion != nil {
            jobs?.yield { await self.resynchroniseDesired() }
        }
    }

    /// Connects, and reconnects with exponential backoff whenever the connection drops, until closed.
    /// A first connection that fails ends the session: ``connect()`` throws its error.
    private func supervise() async {
        var backoff = Backoff(initial: options.initialReconnectDelay, maximum: options.maximumReconnectDelay)
        while !isClosed, !Task.isCancelled {
            do {
                try await runConnection()
                // It was up; one that held for 30 s starts the backoff afresh.
                if let connectedAt, ContinuousClock.now - connectedAt > .seconds(30) { backoff.reset() }
            } catch {
                if let first = firstConnection {
                    firstConnection = nil
                    first.fail(error)
                    return
                }
                logger.warning("reconnect failed: \(error)")
            }
            guard !isClosed, !Task.isCancelled else { break }
            let delay = backoff.next()
            logger.info("connection lost; reconnecting", metadata: ["delay": "\(delay)"])
            try? await Task.sleep(for: delay)
        }
        firstConnection?.fail(IoTHubClientError.notConnected)
        firstConnection = nil
    }

    /// Handles what arrives until the connection closes; returns why it closed.
    private func readLoop(_ inbound: NIOAsyncChannelInboundStream<MQTTPacket>, from transport: MQTTClientTransport) async -> (any Error)? {
        do {
            for try await packet in inbound { await handle(packet, from: transport) }
            return nil
        } catch {
            return error
        }
    }

    private func connectionEnded(generation: Int, error: (any Error)?) {
        guard let waiters = state.connectionLost(generation: generation) else { return }
        transport = nil
        let failure: IoTHubClientError = error.map { .connectionFailed("\($0)") } ?? .connectionLost
        if let connack = connackReply, connack.generation == generation {
            connack.reply.fail(failure)
            connackReply = nil
        }
        for id in waiters.acknowledgements {
            pendingAcks.removeValue(forKey: id)?.fail(IoTHubClientError.connectionLost)
        }
        for rid in waiters.twinRequests {
            twinWaiters.removeValue(forKey: rid)?.fail(IoTHubClientError.connectionLost)
        }
        if let error { logger.debug("connection closed: \(error)") }
    }

    private func runKeepAlive(_ transport: MQTTClientTransport, generation: Int) async {
        while !Task.isCancelled {
            try? await Task.sleep(for: options.keepAlive)
            guard !Task.isCancelled else { return }
            switch state.pingTimerFired(generation: generation) {
            case .none:
                return
            case .reconnect:
                logger.warning("no PINGRESP within the keep-alive interval; reconnecting")
                transport.close()
                return
            case .sendPingRequest:
                await transport.send(.pingreq)
            }
        }
    }

    private func renewTokenBeforeExpiry(_ transport: MQTTClientTransport, generation: Int) async {
        let lifetime = options.sasTokenTimeToLive
        let margin = min(.seconds(120), lifetime / 10)
        try? await Task.sleep(for: lifetime - margin)
        guard generation == state.generation, !Task.isCancelled else { return }
        logger.info("SAS token about to expire; reconnecting with a new one")
        await transport.send(.disconnect)
        transport.close()
    }

    private func waitForConnection(until deadline: ContinuousClock.Instant, operation: String) async throws -> MQTTClientTransport {
        if let transport, state.isConnected { return transport }
        guard !isClosed else { throw IoTHubClientError.notConnected }
        let id = UUID()
        let reply = Reply<MQTTClientTransport>()
        connectedWaiters[id] = reply
        defer { connectedWaiters[id] = nil }
        return try await withDeadline(deadline, timeout: IoTHubClientError.timedOut(operation: "\(operation) (waiting for a connection)")) {
            try await reply.value
        }
    }

    // MARK: Packets

    private func handle(_ packet: MQTTPacket, from transport: MQTTClientTransport) async {
        switch packet {
        case .connack(let ack):
            connackReply?.reply.succeed(ack)
            connackReply = nil
        case .puback(let id), .unsuback(let id):
            if state.acknowledgementReceived(id) { pendingAcks.removeValue(forKey: id)?.succeed(packet) }
        case .suback(let ack):
            if state.acknowledgementReceived(ack.packetId) {
                pendingAcks.removeValue(forKey: ack.packetId)?.succeed(packet)
            }
        case .pingresp:
            state.pingResponseReceived()
        case .publish(let publish):
            if publish.qos == .atLeastOnce, let id = publish.packetId { await transport.send(.puback(packetId: id)) }
            dispatch(publish)
        case .connect, .subscribe, .unsubscribe, .pingreq, .disconnect:
            logger.warning("unexpected \(packet.name) from the hub; closing")
            transport.close()
        }
    }

    private func dispatch(_ publish: MQTTPublish) {
        let topic = publish.topic
        let body = Data(publish.payload.readableBytesView)
        let query = IoTHubTopic.query(of: topic)
        if topic.hasPrefix("$iothub/methods/POST/") {
            let segments = topic.split(separator: "/", omittingEmptySubsequences: false)
            guard segments.count >= 4, let rid = query["rid"],
                  let name = PercentEncoding.decode(String(segments[3])) else {
                logger.warning("malformed method request topic \(topic)")
                return
            }
            let request = MethodRequest(name: name, payload: body.isEmpty ? Data("null".utf8) : body, requestId: rid)
            let handler = methodHandler
            // A handler may take longer than the connection lasts: it runs as a job of the session.
            jobs?.yield {
                let response = await handler?(request)
                    ?? .json(501, ["message": "no handler for method \(name)"])
                await self.sendMethodResponse(response, requestId: rid)
            }
        } else if topic.hasPrefix("$iothub/twin/res/") {
            let segments = topic.split(separator: "/")
            guard segments.count >= 4, let status = Int(segments[3]), let rid = query["rid"] else {
                logger.warning("malformed twin response topic \(topic)")
                return
            }
            let response: TwinResponse = (status, query["version"].flatMap { Int($0) }, body)
            switch state.twinResponseArrived(rid, response) {
            case .deliver: twinWaiters.removeValue(forKey: rid)?.succeed(response)
            case .stored, .ignored: break
            }
        } else if topic.hasPrefix("$iothub/twin/PATCH/properties/desired/") {
            guard let patch = JSONValue.object(from: body) else {
                logger.warning("ignoring a desired-properties patch that is not a JSON object")
                return
            }
            if let version = query["version"].flatMap({ Int($0) }) { state.desiredVersion = version }
            desiredStreams.yield(patch)
        } else {
            logger.debug("ignoring message on \(topic)")
        }
    }

    /// Method responses go at QoS 0 (IoT Hub accepts it): a response lost with its connection is
    /// not worth re-sending, the caller's method call times out either way.
    private func sendMethodResponse(_ response: MethodResponse, requestId: String) async {
        guard let transport, state.isConnected else {
            logger.warning("connection lost before the response to method request \(requestId) could be sent")
            return
        }
        var payload = ByteBuffer()
        payload.writeBytes(response.payload.isEmpty ? Data("null".utf8) : response.payload)
        await transport.send(.publish(MQTTPublish(
            topic: IoTHubTopic.methodResponse(status: response.status, requestId: requestId), payload: payload
        )))
    }

    private func sendAwaitingAck(
        _ packet: MQTTPacket, id: UInt16, via transport: MQTTClientTransport,
        deadline: ContinuousClock.Instant, operation: String
    ) async throws -> MQTTPacket {
        let reply = Reply<MQTTPacket>()
        pendingAcks[id] = reply
        await transport.send(packet)
        do {
            return try await withDeadline(deadline, timeout: IoTHubClientError.timedOut(operation: operation)) {
                try await reply.value
            }
        } catch {
            // Timed out or cancelled: the id is free again (a lost connection has freed it already).
            if pendingAcks[id] === reply {
                pendingAcks[id] = nil
                state.acknowledgementAbandoned(id)
            }
            throw error
        }
    }

    /// Publishes at QoS 1 and waits for PUBACK, re-sending (DUP) on a new connection if one drops.
    func publish(topic: String, payload: ByteBuffer, operation: String) async throws {
        let deadline = ContinuousClock.now + options.operationTimeout
        var duplicate = false
        var packetId: UInt16?
        while true {
            let transport = try await waitForConnection(until: deadline, operation: operation)
            let id = packetId.map { state.packetIdForResend(previous: $0) } ?? state.packetIdForPublish()
            packetId = id
            let packet = MQTTPacket.publish(MQTTPublish(
                topic: topic, payload: payload, qos: .atLeastOnce, duplicate: duplicate, packetId: id
            ))
            do {
                _ = try await sendAwaitingAck(packet, id: id, via: transport, deadline: deadline, operation: operation)
                return
            } catch let error as IoTHubClientError where error == .connectionLost && ContinuousClock.now < deadline {
                duplicate = true
            }
        }
    }

    private func subscribeOnWire(_ filters: [String], via transport: MQTTClientTransport) async throws {
        let id = state.packetIdForPublish()
        let packet = MQTTPacket.subscribe(MQTTSubscribe(packetId: id, filters: filters.map { .init($0, qos: .atLeastOnce) }))
        let reply = try await sendAwaitingAck(
            packet, id: id, via: transport, deadline: .now + options.operationTimeout, operation: "SUBSCRIBE"
        )
        guard case .suback(let ack) = reply else { throw IoTHubClientError.malformedResponse("SUBSCRIBE answered with \(reply.name)") }
        if let refused = StateMachine.refusedFilter(filters, by: ack) {
            throw IoTHubClientError.subscriptionRefused(refused)
        }
    }

    /// Remembers `filter` for every future connection and subscribes now if connected.
    func ensureSubscribed(_ filter: String) async throws {
        guard state.addFilter(filter) else { return }
        guard let transport, state.isConnected else { return }
        try await subscribeOnWire([filter], via: transport)
    }

    // MARK: Features

    func sendTelemetry(_ message: TelemetryMessage) async throws {
        guard message.body.count <= Self.telemetrySizeLimit else {
            throw IoTHubClientError.messageTooLarge(size: message.body.count, limit: Self.telemetrySizeLimit)
        }
        guard let deviceId = connectionString.deviceId else { throw IoTHubClientError.notConnected }
        var payload = ByteBuffer()
        payload.writeBytes(message.body)
        try await publish(
            topic: IoTHubTopic.telemetry(deviceId: deviceId, moduleId: connectionString.moduleId, message: message),
            payload: payload,
            operation: "telemetry"
        )
    }

    func setMethodHandler(_ handler: @escaping MethodHandler) async {
        methodHandler = handler
        do {
            try await ensureSubscribed(IoTHubTopic.methodsSubscription)
        } catch {
            logger.warning("method subscription not confirmed yet (\(error)); it is sent again on reconnect")
        }
    }

    private func twinRequest(topic: String, body: Data, operation: String) async throws -> TwinResponse {
        try await ensureSubscribed(IoTHubTopic.twinResponseSubscription)
        let rid = UUID().uuidString.lowercased()
        state.twinRequestStarted(rid)
        defer { state.twinRequestFinished(rid) }
        var payload = ByteBuffer()
        payload.writeBytes(body)
        let deadline = ContinuousClock.now + options.operationTimeout
        try await publish(topic: topic + "?$rid=\(rid)", payload: payload, operation: operation)
        if let early = state.twinWaitStarted(rid) { return early }
        let reply = Reply<TwinResponse>()
        twinWaiters[rid] = reply
        defer { twinWaiters[rid] = nil }
        return try await withDeadline(deadline, timeout: IoTHubClientError.timedOut(operation: operation)) {
            try await reply.value
        }
    }

    func getTwin() async throws -> TwinDocument {
        let response = try await twinRequest(topic: IoTHubTopic.twinGet, body: Data(" ".utf8), operation: "twin GET")
        guard response.status == 200 else {
            throw IoTHubClientError.twinRequestFailed(status: response.status, body: String(decoding: response.body, as: UTF8.self))
        }
        let twin = try TwinDocument(json: response.body)
        state.desiredVersion = twin.desiredVersion
        return twin
    }

    func updateReportedProperties(_ patch: [String: JSONValue]) async throws -> Int {
        let response = try await twinRequest(
            topic: IoTHubTopic.reportedPatch, body: JSONValue.data(of: patch), operation: "reported properties PATCH")
        guard (200..<300).contains(response.status) else {
            throw IoTHubClientError.twinRequestFailed(status: response.status, body: String(decoding: response.body, as: UTF8.self))
        }
        guard let version = response.version else { throw IoTHubClientError.malformedResponse("reported PATCH answer without $version") }
        return version
    }

    func desiredPropertyUpdates() async -> AsyncStream<[String: JSONValue]> {
        let stream = desiredStreams.makeStream()
        do {
            try await ensureSubscribed(IoTHubTopic.desiredPatchSubscription)
        } catch {
            logger.warning("desired-properties subscription not confirmed yet (\(error)); it is sent again on reconnect")
        }
        return stream
    }

    /// After a reconnect, patches may have been missed: if the desired version moved, deliver the
    /// whole desired section as one patch (what the Azure SDKs do too).
    private func resynchroniseDesired() async {
        let previous = state.desiredVersion
        guard let twin = try? await getTwin(), twin.desiredVersion != previous else { return }
        desiredStreams.yield(twin.desired)
    }
}

/// `deviceId` or `deviceId/moduleId`: the MQTT client id IoT Hub expects.
func clientId(of connectionString: IoTHubConnectionString) -> String {
    let device = connectionString.deviceId ?? ""
    if let module = connectionString.moduleId { return "\(device)/\(module)" }
    return device
}
