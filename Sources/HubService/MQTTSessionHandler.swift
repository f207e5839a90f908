import EdgeFactorSupport
import Foundation
import IoTHub
import Logging
import MQTT
import NIOCore

/// One MQTT connection on the hub side: waits for CONNECT (bounded time), authenticates it,
/// then applies IoT Hub's topic rules to everything the client sends. Any protocol violation,
/// foreign topic, QoS 2 or oversized message closes the connection; the hub keeps serving others.
final class MQTTSessionHandler: ChannelInboundHandler {
    typealias InboundIn = MQTTPacket
    typealias OutboundOut = MQTTPacket

    private enum State {
        case awaitingConnect
        case authenticating
        case connected(HubConnection)
        case closed
    }

    private let core: HubCore
    private var state = State.awaitingConnect
    private var queued: [MQTTPacket] = []
    private var lastActivity = NIODeadline.now()
    private var idleTimeout: TimeAmount
    /// When the SAS token runs out (once connected).
    private var tokenDeadline = NIODeadline.distantFuture
    /// One timer per connection, for both the idle timeout and the token's expiry: an idle
    /// connection is what the hub holds most of, so it holds as little as it can.
    private var timer: Scheduled<Void>?
    /// The last request (SUBSCRIBE, UNSUBSCRIBE, twin GET, reported PATCH) still being served:
    /// each one starts when the one before it has answered, so answers go out in request order.
    private var lastRequest: EventLoopFuture<Void>?

    init(core: HubCore) {
        self.core = core
        self.idleTimeout = .saturating(seconds: core.configuration.connectTimeout.inSeconds)
    }

    func channelActive(context: ChannelHandlerContext) {
        lastActivity = .now()
        armTimer(context: context)
        context.fireChannelActive()
    }

    func handlerAdded(context: ChannelHandlerContext) {
        if context.channel.isActive {
            lastActivity = .now()
            armTimer(context: context)
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        timer?.cancel()
        timer = nil
        if case .connected(let connection) = state {
            core.broker.deactivate(connection)
        }
        state = .closed
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        if case .awaitingConnect = state, case MQTTProtocolError.unacceptableProtocol = error {
            core.metrics.connectRefused(.unacceptableProtocolVersion)
            context.writeAndFlush(wrapOutboundOut(.connack(MQTTConnAck(returnCode: .unacceptableProtocolVersion))), promise: nil)
        }
        core.logger.debug("closing MQTT connection: \(error)", metadata: peer(context))
        close(context: context)
    }

    /// Closes the connection when nothing (no complete packet) arrived for the idle timeout
    /// (10 s before CONNECT, 1.5 × keep-alive after) or when its SAS token expires. Packets only
    /// note the time; the timer checks it when it fires and re-arms for what is left.
    private func armTimer(context: ChannelHandlerContext) {
        timer?.cancel()
        let deadline = min(lastActivity + idleTimeout, tokenDeadline)
        timer = context.eventLoop.assumeIsolated().scheduleTask(deadline: deadline) { [self] in
            timer = nil
            if case .closed = state { return }
            let now = NIODeadline.now()
            if now >= tokenDeadline, case .connected(let connection) = state {
                core.logger.info("SAS token of \(connection.clientId) expired; closing its connection")
                close(context: context)
            } else if now >= lastActivity + idleTimeout {
                core.logger.debug("closing idle MQTT connection", metadata: peer(context))
                close(context: context)
            } else {
                armTimer(context: context)
            }
        }
    }

    private func close(context: ChannelHandlerContext) {
        if case .closed = state { return }
        if case .connected(let connection) = state { core.broker.deactivate(connection) }
        state = .closed
        timer?.cancel()
        timer = nil
        context.close(promise: nil)
    }

    private func peer(_ context: ChannelHandlerContext) -> Logger.Metadata {
        ["peer": "\(context.channel.remoteAddress.map { "\($0)" } ?? "?")"]
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let packet = unwrapInboundIn(data)
        lastActivity = .now()
        switch state {
        case .awaitingConnect:
            guard case .connect(let connect) = packet else {
                core.logger.debug("first packet is \(packet.name), not CONNECT", metadata: peer(context))
                close(context: context)
                return
            }
            state = .authenticating
            authenticate(connect, context: context)
        case .authenticating:
            guard queued.count < 16 else {
                close(context: context)
                return
            }
            queued.append(packet)
        case .connected(let connection):
            handle(packet, connection: connection, context: context)
        case .closed:
            break
        }
    }

    private func authenticate(_ connect: MQTTConnect, context: ChannelHandlerContext) {
        let core = core
        let promise = context.eventLoop.makePromise(of: HubCore.ConnectDecision.self)
        // The one unstructured task of the hub: a channel handler lives on the event loop and
        // cannot await the (async, database-backed) identity check, so the check runs in a task
        // whose result the loop picks up; it is short and bounded by the connect timeout, which
        // closes the channel if it takes too long. A per-connection NIOAsyncChannel loop would
        // make it a plain await (see docs/hub.md).
        promise.completeWithTask { await core.authenticate(connect) }
        promise.futureResult.assumeIsolated().whenSuccess { [self] decision in
            finishConnect(decision, connect: connect, context: context)
        }
    }

    private func finishConnect(_ decision: HubCore.ConnectDecision, connect: MQTTConnect, context: ChannelHandlerContext) {
        guard case .authenticating = state else { return }
        switch decision {
        case .refused(let code, let reason):
            core.logger.info("refused CONNECT from \(connect.clientId.prefix(260)): \(reason)", metadata: peer(context))
            context.writeAndFlush(wrapOutboundOut(.connack(MQTTConnAck(returnCode: code))), promise: nil)
            close(context: context)
        case .accepted(let identity, let tokenExpiry, let subscriptions):
            let connection = HubConnection(identity: identity, channel: context.channel, tokenExpiry: tokenExpiry)
            state = .connected(connection)
            context.writeAndFlush(
                wrapOutboundOut(.connack(MQTTConnAck(sessionPresent: !subscriptions.isEmpty, returnCode: .accepted))),
                promise: nil
            )
            core.broker.activate(connection, subscriptions: subscriptions)
            // IoT Hub drops silent clients after 1.5 × keep-alive (capped at 1767 s).
            let keepAlive = connect.keepAliveSeconds == 0 ? 1178 : min(Int64(connect.keepAliveSeconds), 1178)
            idleTimeout = .milliseconds(keepAlive * 1500)
            // `se` comes from the client: any Int64 is a valid token expiry, so the delay saturates.
            tokenDeadline = .now() + .saturating(seconds: tokenExpiry - Date().timeIntervalSince1970)
            armTimer(context: context)
            core.logger.debug("connected \(identity.clientId)", metadata: peer(context))
            let pending = queued
            queued = []
            for packet in pending {
                guard case .connected = state else { return }
                handle(packet, connection: connection, context: context)
            }
        }
    }

    // MARK: Connected

    /// Runs `work` once the previous request has been answered (MQTT 3.1.1 §4.6: SUBACKs and
    /// UNSUBACKs in the order of their requests); a request that fails does not hold up the next.
    private func serveInOrder(context: ChannelHandlerContext, _ work: @escaping @Sendable () async -> Void) {
        let eventLoop = context.eventLoop
        let previous = lastRequest ?? eventLoop.makeSucceededVoidFuture()
        // A task per request, chained: like authentication above, the handler cannot await the
        // broker's async work itself; the chain keeps one request of a connection at a time.
        let next = previous.flatMap { eventLoop.makeFutureWithTask(work) }
        lastRequest = next
        next.assumeIsolated().whenComplete { [self] _ in
            if lastRequest === next { lastRequest = nil }
        }
    }

    private func handle(_ packet: MQTTPacket, connection: HubConnection, context: ChannelHandlerContext) {
        switch packet {
        case .publish(let publish):
            handlePublish(publish, connection: connection, context: context)
        case .subscribe(let subscribe):
            handleSubscribe(subscribe, connection: connection, context: context)
        case .unsubscribe(let unsubscribe):
            let broker = core.broker
            serveInOrder(context: context) {
                try? await broker.unsubscribe(connection.clientId, filters: unsubscribe.topicFilters)
                connection.send(.unsuback(packetId: unsubscribe.packetId))
            }
        case .pingreq:
            context.writeAndFlush(wrapOutboundOut(.pingresp), promise: nil)
        case .puback:
            break
        case .disconnect:
            close(context: context)
        case .connect, .connack, .suback, .unsuback, .pingresp:
            core.logger.info("\(connection.clientId) sent \(packet.name); closing", metadata: peer(context))
            close(context: context)
        }
    }

    private func handleSubscribe(_ subscribe: MQTTSubscribe, connection: HubConnection, context: ChannelHandlerContext) {
        let core = core
        serveInOrder(context: context) {
            // Counted once the earlier requests are served, so back-to-back SUBSCRIBEs share the limit of 16.
            var allowed: [String] = []
            var codes: [MQTTSubAck.ReturnCode] = []
            let existing = core.broker.subscriptionCount(connection.clientId)
            for filter in subscribe.filters {
                if core.maySubscribe(filter.topicFilter, identity: connection.identity), existing + allowed.count < 16 {
                    allowed.append(filter.topicFilter)
                    codes.append(.granted(min(filter.qos, .atLeastOnce)))
                } else {
                    core.logger.info("\(connection.clientId) may not subscribe to \(filter.topicFilter.prefix(200))")
                    codes.append(.failure)
                }
            }
            do {
                if !allowed.isEmpty { try await core.broker.subscribe(connection.clientId, filters: allowed) }
                connection.send(.suback(MQTTSubAck(packetId: subscribe.packetId, returnCodes: codes)))
            } catch {
                core.logger.error("cannot store subscriptions of \(connection.clientId): \(error); closing its connection so it subscribes again")
                connection.close()
            }
        }
    }

    private func handlePublish(_ publish: MQTTPublish, connection: HubConnection, context: ChannelHandlerContext) {
        let identity = connection.identity
        guard publish.qos != .exactlyOnce else {
            core.logger.info("\(identity.clientId) published with QoS 2 (not supported); closing")
            close(context: context)
            return
        }
        guard publish.payload.readableBytes <= core.configuration.maxMessageSize else {
            core.logger.info("\(identity.clientId) sent \(publish.payload.readableBytes) bytes, over the \(core.configuration.maxMessageSize)-byte limit; closing")
            close(context: context)
            return
        }
        let topic = publish.topic
        let ack: @Sendable () -> Void = {
            if publish.qos == .atLeastOnce, let id = publish.packetId { connection.send(.puback(packetId: id)) }
        }
        let telemetryPrefix = IoTHubTopic.telemetryPrefix(deviceId: identity.deviceId, moduleId: identity.moduleId)
        if topic.hasPrefix(telemetryPrefix) || topic + "/" == telemetryPrefix {
            storeTelemetry(publish, bag: topic.dropFirst(min(topic.count, telemetryPrefix.count)), connection: connection, ack: ack, context: context)
        } else if topic.hasPrefix("$iothub/methods/res/") {
            let segments = topic.split(separator: "/")
            guard segments.count >= 4, let status = Int(segments[3]), let rid = IoTHubTopic.query(of: topic)["rid"] else {
                core.logger.info("\(identity.clientId) sent a malformed method response topic; closing")
                close(context: context)
                return
            }
            ack()
            core.broker.completeMethod(rid: rid, from: identity.clientId, status: status, payload: publish.payload)
        } else if topic.hasPrefix(IoTHubTopic.twinGet) {
            ack()
            let rid = IoTHubTopic.query(of: topic)["rid"] ?? ""
            let core = core
            serveInOrder(context: context) {
                do {
                    let body = try await core.twinBody(identity)
                    connection.send(.publish(MQTTPublish(
                        topic: IoTHubTopic.twinResponse(status: 200, requestId: rid), payload: ByteBuffer(bytes: body)
                    )))
                } catch {
                    connection.send(.publish(MQTTPublish(topic: IoTHubTopic.twinResponse(status: 500, requestId: rid), payload: ByteBuffer())))
                }
            }
        } else if topic.hasPrefix(IoTHubTopic.reportedPatch) {
            ack()
            let rid = IoTHubTopic.query(of: topic)["rid"] ?? ""
            let patch = try? JSONDecoder().decode([String: JSONValue].self, from: Data(publish.payload.readableBytesView))
            guard let patch else {
                serveInOrder(context: context) {
                    connection.send(.publish(MQTTPublish(
                        topic: IoTHubTopic.twinResponse(status: 400, requestId: rid),
                        payload: ByteBuffer(string: "{\"message\":\"reported properties must be a JSON object\"}")
                    )))
                }
                return
            }
            let registry = core.registry
            serveInOrder(context: context) {
                do {
                    let version = try await registry.patchReported(deviceId: identity.deviceId, moduleId: identity.moduleId, patch: patch)
                    connection.send(.publish(MQTTPublish(
                        topic: IoTHubTopic.twinResponse(status: 204, requestId: rid, version: version), payload: ByteBuffer()
                    )))
                } catch let error as HubError {
                    connection.send(.publish(MQTTPublish(
                        topic: IoTHubTopic.twinResponse(status: error.status, requestId: rid),
                        payload: ByteBuffer(string: "{\"message\":\"\(error.message)\"}")
                    )))
                } catch {
                    connection.send(.publish(MQTTPublish(topic: IoTHubTopic.twinResponse(status: 500, requestId: rid), payload: ByteBuffer())))
                }
            }
        } else {
            core.logger.info("\(identity.clientId) published to a topic it may not use (\(topic.prefix(200))); closing")
            close(context: context)
        }
    }

    private func storeTelemetry(
        _ publish: MQTTPublish, bag: Substring, connection: HubConnection, ack: @escaping @Sendable () -> Void,
        context: ChannelHandlerContext
    ) {
        guard let pairs = IoTHubTopic.decodePropertyBag(bag) else {
            core.logger.info("\(connection.clientId) sent a malformed property bag; closing")
            close(context: context)
            return
        }
        var properties: [String: String] = [:]
        var systemProperties: [String: String] = [:]
        for (key, value) in pairs {
            if key.hasPrefix("$.") {
                systemProperties[key] = value ?? ""
            } else {
                properties[key] = value ?? ""
            }
        }
        if publish.retain { properties["mqtt-retain"] = "true" }
        let accepted = core.telemetry.enqueue(TelemetryStore.Pending(
            deviceId: connection.identity.deviceId,
            moduleId: connection.identity.moduleId,
            properties: properties,
            systemProperties: systemProperties,
            body: Data(publish.payload.readableBytesView),
            completion: { stored in
                if stored { ack() } else { connection.close() }
            }
        ))
        if accepted { core.metrics.telemetryReceived.increment() }
        if !accepted {
            core.logger.warning("telemetry queue full; closing \(connection.clientId), which is sending faster than the hub stores")
            close(context: context)
        }
    }
}
