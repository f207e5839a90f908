import Foundation
import IoTHub
import Logging

/// The agent's connection to the IoT hub as a device. The client reconnects by itself after a
/// drop; this keeps trying the first connection with backoff, and keeps telemetry that could not be
/// sent (hub away longer than the client's operation timeout) for a later attempt, so a hub outage
/// never holds up storing results and never loses a notification while the agent runs.
actor HubLink {
    private let connectionString: IoTHubConnectionString
    private let options: HubClientOptions
    private let logger: Logger
    private let metrics: AgentMetrics
    private var client: DeviceClient?
    /// Telemetry waiting for the hub, oldest first; bounded (results are in storage regardless).
    private var backlog: [TelemetryMessage] = []
    private let backlogLimit = 1000
    private let backlogBell = Doorbell()
    private(set) var isConnected = false

    init(connectionString: IoTHubConnectionString, options: HubClientOptions, logger: Logger, metrics: AgentMetrics) {
        self.connectionString = connectionString
        self.options = options
        self.logger = logger
        self.metrics = metrics
    }

    /// Connects, then retries held-back telemetry, until the task is cancelled.
    func run() async {
        var backoff = Backoff(initial: .milliseconds(200), maximum: .seconds(15))
        while !Task.isCancelled, client == nil {
            let candidate = DeviceClient(connectionString: connectionString, options: options)
            do {
                try await candidate.connect()
                client = candidate
                setConnected(true)
                logger.info("connected to the IoT hub", metadata: ["host": "\(connectionString.hostName)"])
            } catch {
                await candidate.close()
                logger.warning("cannot connect to the IoT hub; retrying", metadata: ["error": "\(error)"])
                guard await backoff.sleep() else { break }
            }
        }
        while !Task.isCancelled {
            await backlogBell.wait(upTo: .seconds(5))
            await flushBacklog()
        }
        if let client { await client.close() }
        client = nil
        setConnected(false)
    }

    /// Sends a telemetry message, or keeps it for a later attempt.
    func send(_ message: TelemetryMessage) async {
        guard let client, backlog.isEmpty else {
            hold(message)
            return
        }
        do {
            try await client.sendTelemetry(message)
            setConnected(true)
        } catch {
            logger.warning("telemetry not sent; will retry", metadata: ["error": "\(error)"])
            setConnected(false)
            hold(message)
        }
    }

    private func hold(_ message: TelemetryMessage) {
        if backlog.count >= backlogLimit {
            backlog.removeFirst()
            logger.error("telemetry backlog full; dropped the oldest message (its result stays in storage)")
        }
        backlog.append(message)
    }

    private func flushBacklog() async {
        while let client, let message = backlog.first {
            do {
                try await client.sendTelemetry(message)
                backlog.removeFirst()
                setConnected(true)
            } catch {
                setConnected(false)
                return
            }
        }
    }

    private func setConnected(_ value: Bool) {
        isConnected = value
        metrics.hubConnected.set(to: value ? 1 : 0)
    }
}
