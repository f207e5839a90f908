import ArgumentParser
import Foundation
import FrontEnd

/// `edgefactor frontend audit`: read the audit log of sign-ins and verifications.
struct FrontendAuditCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "audit",
        abstract: "Show the audit log: who signed in, when, from where, with which device, class and confidence, and the outcome."
    )

    @OptionGroup var store: FrontendDatabaseOptions
    @OptionGroup var config: ConfigOption

    @Option(help: "Only this user's events.")
    var user: String?

    @Option(help: ArgumentHelp("Only events from the last N minutes.", valueName: "N"))
    var minutes: Int?

    @Option(help: "At most this many events (newest first).")
    var limit: Int = 50

    @Flag(help: "One JSON object per line.")
    var json = false

    func run() async throws {
        let settings = try await config.settings()
        let since = minutes.map { Date().addingTimeInterval(-Double($0) * 60) }
        let events = try await AuditLog(database: store.open(settings)).recent(username: user, since: since, limit: limit)
        if json {
            let encoder = JSONEncoder()
            // Milliseconds: several events of one sign-in fall within the same second.
            encoder.dateEncodingStrategy = .custom { date, encoder in
                var container = encoder.singleValueContainer()
                try container.encode(date.formatted(Date.ISO8601FormatStyle(includingFractionalSeconds: true)))
            }
            encoder.outputFormatting = [.sortedKeys]
            for event in events { print(String(decoding: try encoder.encode(event), as: UTF8.self)) }
            return
        }
        guard !events.isEmpty else {
            print("no audit events")
            return
        }
        var rows = [["TIME (UTC)", "EVENT", "USER", "FROM", "DEVICE", "CLASS", "CONFIDENCE", "OUTCOME", "REQUEST"]]
        for event in events {
            rows.append([
                event.at.formatted(.iso8601), event.kind.rawValue, event.username ?? "-", event.address ?? "-",
                event.deviceId ?? "-", event.className ?? "-", event.confidence.map { String(format: "%.1f %%", $0) } ?? "-",
                event.outcome, event.requestId ?? "-",
            ])
        }
        TextTable.print(rows)
    }
}
