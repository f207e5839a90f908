import EdgeFactorSupport
import Foundation
import IoTHub
import Logging

/// The agent's connection to the IoT hub as a device. The client reconnects by itself after a
/// drop; this keeps trying the first connection with backoff, and keeps telemetry that could not be
/// sent (hub away longer than the client's operation timeout) for a later attempt, so a hub outage
/// never holds up storing results and never loses a notification while the agent runs. It also
/// reports the settings in force in the device twin, retrying the same way.
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
    /// The latest reported-properties patch not yet accepted by the hub (each one is complete, so
    /// only the newest matters).
    private var pendingReport: [String: JSONValue]?
    private(set) var isConnected = false

    init(connectionString: IoTHubConnectionString, options: HubClientOptions, logger: Logger, metrics: AgentMetrics) {
        self.connectionString = connectionString
        self.options = options
        self.logger = logger
        self.metrics = metrics
    }

    /// Connects, then retries held-back telemetry, until the task is cancelled.
    func run() async {
        var backoff = Backoff(initial: .milliseconds(200), maximum: options.maximumReconnectDelay)
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
            _ = await connectedNow()
            await flushReport()
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

    /// Reports `patch` in the device twin's reported properties, now or once the hub is back;
    /// returns at once. A newer patch replaces one not yet sent.
    func report(_ patch: [String: JSONValue]) async {
        pendingReport = patch
        backlogBell.ring()
    }

    private func flushReport() async {
        guard let client, let patch = pendingReport else { return }
        do {
            _ = try await client.updateReportedProperties(patch)
            if pendingReport == patch { pendingReport = nil }
        } catch {
            logger.warning("reported properties not sent; will retry", metadata: ["error": "\(error)"])
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

    /// Whether the hub connection is up now (it may have dropped since the last telemetry).
    func connectedNow() async -> Bool {
        guard let client else { return false }
        let up = await client.isConnected
        if up != isConnected { setConnected(up) }
        return up
    }

    private func setConnected(_ value: Bool) {
        isConnected = value
        metrics.hubConnected.set(to: value ? 1 : 0)
    }
}
