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
    private var supervisor: Task<Void, Never>?
    private var connectionTasks: [Task<Void, Never>] = []

    private var connackWaiter: CheckedContinuation<MQTTConnAck, any Error>?
    private var disconnectWaiter: CheckedContinuation<Void, Never>?
    private var connectedWaiters: [UUID: CheckedContinuation<MQTTClientTransport, any Error>] = [:]
    private var pendingAcks: [UInt16: CheckedContinuation<MQTTPacket, any Error>] = [:]
    private var twinWaiters: [String: CheckedContinuation<TwinResponse, any Error>] = [:]
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

    func connect() async throws {
        guard isClosed else {
            _ = try await waitForConnection(until: .now + options.operationTimeout, operation: "connect")
            return
        }
        isClosed = false
        do {
            try await openConnection()
        } catch {
            isClosed = true
            throw error
        }
        supervisor = Task { await self.supervise() }
    }

    func close() async {
        guard !isClosed else { return }
        isClosed = true
        supervisor?.cancel()
        supervisor = nil
        for waiter in connectedWaiters.values { waiter.resume(throwing: IoTHubClientError.notConnected) }
        connectedWaiters.removeAll()
        disconnectWaiter?.resume()
        disconnectWaiter = nil
        desiredStreams.finishAll()
        if let transport {
            transport.send(.disconnect)
            transport.close()
            try? await transport.channel.closeFuture.get()
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

    private func openConnection() async throws {
        guard let deviceId = connectionString.deviceId else {
            throw IoTHubConfigurationError("a device or module client needs a connection string with DeviceId (this one is a service connection string)")
        }
        let tls = try makeTLSContext()
        // Signed before dialling: a signer that fails (the IoT Edge workload API away) leaves no
        // connection behind.
        let token = try await signer.token(
            resourceURI: resourceURI, expiresOn: Date() + options.sasTokenTimeToLive.inSeconds
        )
        let host = dialHost
        let isIPAddress = host.contains(":") || host.allSatisfy { $0.isNumber || $0 == "." }
        let transport: MQTTClientTransport
        do {
            transport = try await MQTTClientTransport.connect(
                host: host, port: dialPort, tls: tls, serverHostname: isIPAddress ? nil : host
            )
        } catch {
            throw IoTHubClientError.connectionFailed("\(host):\(dialPort): \(error)")
        }
        let generation = state.connectStarted()
        self.transport = transport
        connectionTasks.append(Task { await self.readLoop(transport, generation: generation) })

        var username = "\(connectionString.hostNameWithoutPort)/\(deviceId)/"
        if let moduleId = connectionString.moduleId { username += "\(moduleId)/" }
        username += "?api-version=2021-04-12&DeviceClientType=\(PercentEncoding.encode(options.productInfo))"
        let keepAlive = UInt16(clamping: options.keepAlive.components.seconds)
        transport.send(.connect(MQTTConnect(
            clientId: clientId(of: connectionString),
            keepAliveSeconds: keepAlive,
            cleanSession: false,
            username: username,
            password: Array(token.token.utf8)
        )))
        let ack: MQTTConnAck
        do {
            ack = try await awaitConnAck(generation: generation)
        } catch {
            transport.close()
            throw error
        }
        let resubscribe: [String]
        switch state.connackReceived(ack, generation: generation) {
        case .connected(let filters):
            resubscribe = filters
        case .refused(let code, let reason):
            transport.close()
            throw IoTHubClientError.connectionRefused(code: code, reason: reason)
        case .ignore:
            transport.close()
            throw IoTHubClientError.connectionLost
        }
        connectedAt = .now
        if !resubscribe.isEmpty {
            do {
                try await subscribeOnWire(resubscribe, via: transport)
            } catch {
                transport.close()
                throw error
            }
        }
        connectionTasks.append(Task { await self.runKeepAlive(transport, generation: generation) })
        connectionTasks.append(Task { await self.renewTokenBeforeExpiry(transport, generation: generation) })
        for waiter in connectedWaiters.values { waiter.resume(returning: transport) }
        connectedWaiters.removeAll()
        logger.debug("connected", metadata: ["host": "\(host):\(dialPort)", "sessionPresent": "\(ack.sessionPresent)"])
        if !desiredStreams.isEmpty, state.desiredVersion != nil {
            Task { await self.resynchroniseDesired() }
        }
    }

    private func awaitConnAck(generation: Int) async throws -> MQTTConnAck {
        let deadline = ContinuousClock.now + options.operationTimeout
        let timer = Task {
            try? await Task.sleep(until: deadline)
            if !Task.isCancelled { self.expireConnAck(generation: generation) }
        }
        defer { timer.cancel() }
        return try await withCheckedThrowingContinuation { connackWaiter = $0 }
    }

    private func expireConnAck(generation: Int) {
        guard generation == state.generation, let waiter = connackWaiter else { return }
        connackWaiter = nil
        waiter.resume(throwing: IoTHubClientError.timedOut(operation: "CONNACK"))
    }

    /// Reconnects with exponential backoff whenever the connection drops, until closed.
    private func supervise() async {
        var failures = 0
        while !isClosed, !Task.isCancelled {
            await waitForDisconnect()
            guard !isClosed else { return }
            if let connectedAt, ContinuousClock.now - connectedAt > .seconds(30) { failures = 0 }
            while !isClosed, !Task.isCancelled {
                let delay = backoff(failures)
                logger.info("connection lost; reconnecting", metadata: ["delay": "\(delay)"])
                try? await Task.sleep(for: delay)
                guard !isClosed, !Task.isCancelled else { return }
                do {
                    try await openConnection()
                    logger.info("reconnected")
                    break
                } catch {
                    failures += 1
                    logger.warning("reconnect failed: \(error)")
                }
            }
            failures += 1
        }
    }

    private func backoff(_ failures: Int) -> Duration {
        let initial = options.initialReconnectDelay
        let factor = 1 << min(failures, 16)
        let delay = min(initial * factor, options.maximumReconnectDelay)
        return delay * Double.random(in: 0.8...1.2)
    }

    private func waitForDisconnect() async {
        guard transport != nil else { return }
        await withCheckedContinuation { disconnectWaiter = $0 }
    }

    private func readLoop(_ transport: MQTTClientTransport, generation: Int) async {
        var closeError: (any Error)?
        for await event in transport.events {
            switch event {
            case .packet(let packet): handle(packet, from: transport)
            case .closed(let error): closeError = error
            }
        }
        connectionEnded(generation: generation, error: closeError)
    }

    private func connectionEnded(generation: Int, error: (any Error)?) {
        guard let waiters = state.connectionLost(generation: generation) else { return }
        transport = nil
        for task in connectionTasks { task.cancel() }
        connectionTasks.removeAll()
        let failure: IoTHubClientError = error.map { .connectionFailed("\($0)") } ?? .connectionLost
        connackWaiter?.resume(throwing: failure)
        connackWaiter = nil
        for id in waiters.acknowledgements {
            pendingAcks.removeValue(forKey: id)?.resume(throwing: IoTHubClientError.connectionLost)
        }
        for rid in waiters.twinRequests {
            twinWaiters.removeValue(forKey: rid)?.resume(throwing: IoTHubClientError.connectionLost)
        }
        disconnectWaiter?.resume()
        disconnectWaiter = nil
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
                transport.send(.pingreq)
            }
        }
    }

    private func renewTokenBeforeExpiry(_ transport: MQTTClientTransport, generation: Int) async {
        let lifetime = options.sasTokenTimeToLive
        let margin = min(.seconds(120), lifetime / 10)
        try? await Task.sleep(for: lifetime - margin)
        guard generation == state.generation, !Task.isCancelled else { return }
        logger.info("SAS token about to expire; reconnecting with a new one")
        transport.send(.disconnect)
        transport.close()
    }

    private func waitForConnection(until deadline: ContinuousClock.Instant, operation: String) async throws -> MQTTClientTransport {
        if let transport, state.isConnected { return transport }
        guard !isClosed else { throw IoTHubClientError.notConnected }
        let id = UUID()
        let timer = Task {
            try? await Task.sleep(until: deadline)
            if !Task.isCancelled { self.expireConnectionWaiter(id, operation: operation) }
        }
        defer { timer.cancel() }
        return try await withCheckedThrowingContinuation { connectedWaiters[id] = $0 }
    }

    private func expireConnectionWaiter(_ id: UUID, operation: String) {
        connectedWaiters.removeValue(forKey: id)?.resume(throwing: IoTHubClientError.timedOut(operation: "\(operation) (waiting for a connection)"))
    }

    // MARK: Packets

    private func handle(_ packet: MQTTPacket, from transport: MQTTClientTransport) {
        switch packet {
        case .connack(let ack):
            connackWaiter?.resume(returning: ack)
            connackWaiter = nil
        case .puback(let id), .unsuback(let id):
            if state.acknowledgementReceived(id) { pendingAcks.removeValue(forKey: id)?.resume(returning: packet) }
        case .suback(let ack):
            if state.acknowledgementReceived(ack.packetId) {
                pendingAcks.removeValue(forKey: ack.packetId)?.resume(returning: packet)
            }
        case .pingresp:
            state.pingResponseReceived()
        case .publish(let publish):
            if publish.qos == .atLeastOnce, let id = publish.packetId { transport.send(.puback(packetId: id)) }
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
            Task {
                let response = await handler?(request)
                    ?? .json(501, ["message": "no handler for method \(name)"])
                self.sendMethodResponse(response, requestId: rid)
            }
        } else if topic.hasPrefix("$iothub/twin/res/") {
            let segments = topic.split(separator: "/")
            guard segments.count >= 4, let status = Int(segments[3]), let rid = query["rid"] else {
                logger.warning("malformed twin response topic \(topic)")
                return
            }
            let response: TwinResponse = (status, query["version"].flatMap { Int($0) }, body)
            switch state.twinResponseArrived(rid, response) {
            case .deliver: twinWaiters.removeValue(forKey: rid)?.resume(returning: response)
            case .stored, .ignored: break
            }
        } else if topic.hasPrefix("$iothub/twin/PATCH/properties/desired/") {
            if let version = query["version"].flatMap({ Int($0) }) { state.desiredVersion = version }
            desiredStreams.yield(body)
        } else {
            logger.debug("ignoring message on \(topic)")
        }
    }

    /// Method responses go at QoS 0 (IoT Hub accepts it): a response lost with its connection is
    /// not worth re-sending, the caller's method call times out either way.
    private func sendMethodResponse(_ response: MethodResponse, requestId: String) {
        guard let transport, state.isConnected else {
            logger.warning("connection lost before the response to method request \(requestId) could be sent")
            return
        }
        var payload = ByteBuffer()
        payload.writeBytes(response.payload.isEmpty ? Data("null".utf8) : response.payload)
        transport.send(.publish(MQTTPublish(
            topic: IoTHubTopic.methodResponse(status: response.status, requestId: requestId), payload: payload
        )))
    }

    private func sendAwaitingAck(
        _ packet: MQTTPacket, id: UInt16, via transport: MQTTClientTransport,
        deadline: ContinuousClock.Instant, operation: String
    ) async throws -> MQTTPacket {
        let timer = Task {
            try? await Task.sleep(until: deadline)
            if !Task.isCancelled { self.expireAck(id, operation: operation) }
        }
        defer { timer.cancel() }
        return try await withCheckedThrowingContinuation { continuation in
            pendingAcks[id] = continuation
            transport.send(packet)
        }
    }

    private func expireAck(_ id: UInt16, operation: String) {
        guard let waiter = pendingAcks.removeValue(forKey: id) else { return }
        state.acknowledgementAbandoned(id)
        waiter.resume(throwing: IoTHubClientError.timedOut(operation: operation))
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
        let timer = Task {
            try? await Task.sleep(until: deadline)
            if !Task.isCancelled { self.expireTwin(rid, operation: operation) }
        }
        defer { timer.cancel() }
        return try await withCheckedThrowingContinuation { twinWaiters[rid] = $0 }
    }

    private func expireTwin(_ rid: String, operation: String) {
        twinWaiters.removeValue(forKey: rid)?.resume(throwing: IoTHubClientError.timedOut(operation: operation))
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

    func updateReportedProperties(_ patch: Data) async throws -> Int {
        guard (try? JSONSerialization.jsonObject(with: patch)) is [String: Any] else {
            throw IoTHubConfigurationError("a reported-properties patch must be a JSON object")
        }
        let response = try await twinRequest(topic: IoTHubTopic.reportedPatch, body: patch, operation: "reported properties PATCH")
        guard (200..<300).contains(response.status) else {
            throw IoTHubClientError.twinRequestFailed(status: response.status, body: String(decoding: response.body, as: UTF8.self))
        }
        guard let version = response.version else { throw IoTHubClientError.malformedResponse("reported PATCH answer without $version") }
        return version
    }

    func desiredPropertyUpdates() async -> AsyncStream<Data> {
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
