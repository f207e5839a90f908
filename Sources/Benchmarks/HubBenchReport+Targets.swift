import Foundation

extension HubBenchReport {
    /// Issue 16's hub rows: memory per idle connection, 100,000 devices, direct methods, telemetry.
    var targets: [BenchTarget] {
        var rows: [BenchTarget] = []
        if let hub = hubConnections, let broker = brokerConnections, broker.bytesPerConnection > 0 {
            let ratio = hub.bytesPerConnection / broker.bytesPerConnection
            let floor = (floorConnections?.bytesPerConnection ?? 0) / broker.bytesPerConnection
            rows.append(BenchTarget(
                measurement: "Hub memory per idle connection vs Mosquitto (Hub)",
                measured: String(format: "%@ (%.1f against %.1f KiB)", BenchTarget.ratio(ratio), hub.bytesPerConnection / 1024, broker.bytesPerConnection / 1024),
                target: "≤ 3×",
                verdict: ratio <= 3 ? "met" : floor > 3
                    ? String(format: "not reachable on SwiftNIO: a bare NIO server holding the same connections takes %@ of Mosquitto's; the hub %@ of that floor",
                             BenchTarget.ratio(floor), BenchTarget.ratio(hub.bytesPerConnection / max(1, floorConnections?.bytesPerConnection ?? 1)))
                    : "not met"))
            let projected = hub.bytesPerConnection * 100_000 / 1_048_576
            rows.append(BenchTarget(
                measurement: "100,000 idle devices on one machine (Hub)",
                measured: String(format: "%d of %d connected in %.1f s", hub.opened, connections, hub.seconds),
                target: "100,000",
                verdict: hub.opened >= 100_000 ? "met" : String(
                    format: "not measurable here: this machine allows %d open files per process; at the measured cost 100,000 take about %.0f MiB (with LimitNOFILE ≥ 100,000 and --max-mqtt-connections 100000)",
                    descriptorLimit, projected)))
        }
        if let methods = hubMethods?.perSecond, let bare = brokerMethods?.perSecond, bare > 0 {
            let ratio = methods / bare
            let floor = (methodFloor ?? 0) / bare
            rows.append(BenchTarget(
                measurement: "Direct-method round trips/s vs bare MQTT request/response (Hub)",
                measured: String(format: "%@ (%.0f against %.0f)", BenchTarget.ratio(ratio), methods, bare),
                target: "≥ 0.6×",
                verdict: ratio >= 0.6 ? "met" : floor < 0.6
                    ? String(format: "not reachable on these stacks: their HTTPS round trip and the bare MQTT one back to back reach %@; the hub %@ of that floor",
                             BenchTarget.ratio(floor), BenchTarget.ratio(methods / max(1, methodFloor ?? 1)))
                    : "not met"))
        }
        if let stored = hubTelemetry?.perSecond, let relayed = brokerTelemetry?.perSecond, relayed > 0 {
            let ratio = stored / relayed
            rows.append(BenchTarget(
                measurement: "QoS 1 telemetry, every message stored, vs Mosquitto relaying (Hub)",
                measured: String(format: "%@ (%.0f against %.0f messages/s)", BenchTarget.ratio(ratio), stored, relayed),
                target: "≥ 1.0×",
                verdict: ratio >= 1 ? "met" : "not met"))
        }
        return rows
    }
}
