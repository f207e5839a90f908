import Foundation
import IoTHub
import Logging

/// The agent's connection to the IoT hub as a device: connects with backoff, reconnects after a
/// failure, and sends telemetry (retrying in the background while the hub is away, so a hub outage
/// never holds up storing results).
actor HubLink {
    private let connectionString: IoTHubConnectionString
    private let options: HubClientOptions
    private let logger: Logger
    private let metrics: AgentMetrics
    private var client: DeviceClient?
    private let lostConnection = Doorbell()
    private(set) var isConnected = false
    /// Telemetry waiting for the hub to come back, oldest first; bounded.
    private var backlog: [TelemetryMessage] = []
    private let backlogLimit = 1000

    init(connectionString: IoTHubConnectionString, options: HubClientOptions, logger: Logger, metrics: AgentMetrics) {
        self.connectionString = connectionString
        self.options = options
        self.logger = logger
        self.metrics = metrics
    }

    /// Keeps the connection up until the task is cancelled.
    func run() async {
        var backoff = Backoff(initial: .milliseconds(200), maximum: .seconds(15))
        while !Task.isCancelled {
            do {
                let client = DeviceClient(connectionString: connectionString, options: options)
                try await client.connect()
                self.client = client
                setConnected(true)
                backoff.reset()
                logger.info("connected to the IoT hub", metadata: ["host": "\(connectionString.hostName)"])
                await flushBacklog()
                await lostConnection.wait(upTo: .seconds(3600 * 24 * 365))
                guard !Task.isCancelled else { break }
                logger.warning("lost the IoT hub connection; reconnecting")
            } catch {
                logger.warning("cannot connect to the IoT hub; retrying", metadata: ["error": "\(error)"])
            }
            setConnected(false)
            if let client { await client.close() }
            client = nil
            guard await backoff.sleep() else { break }
        }
        setConnected(false)
        if let client { await client.close() }
        client = nil
    }

    /// Sends a telemetry message now, or keeps it for when the hub is back.
    func send(_ message: TelemetryMessage) async {
        guard let client, isConnected else {
            enqueue(message)
            return
        }
        do {
            try await client.sendTelemetry(message)
        } catch {
            logger.warning("telemetry not sent; will retry after reconnecting", metadata: ["error": "\(error)"])
            enqueue(message)
            setConnected(false)
            await lostConnection.ring()
        }
    }

    private func enqueue(_ message: TelemetryMessage) {
        if backlog.count >= backlogLimit {
            backlog.removeFirst()
            logger.error("telemetry backlog full; dropped the oldest message (results stay in storage)")
        }
        backlog.append(message)
    }

    private func flushBacklog() async {
        while let client, isConnected, let message = backlog.first {
            do {
                try await client.sendTelemetry(message)
                backlog.removeFirst()
            } catch {
                setConnected(false)
                await lostConnection.ring()
                return
            }
        }
    }

    private func setConnected(_ value: Bool) {
        isConnected = value
        metrics.hubConnected.set(value ? 1 : 0)
    }
}
