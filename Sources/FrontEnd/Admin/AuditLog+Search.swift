import Foundation
import GRDB

extension AuditLog {
    /// One page of events matching `query`, newest first, and whether older ones follow.
    func search(_ query: AuditQuery) async throws -> (events: [AuditEvent], hasMore: Bool) {
        try await database.writer.read { db in
            var request = AuditEvent.all()
            if let username = query.username {
                // The account acted on, or the administrator who acted.
                request = request.filter(Column("username").collating(.nocase) == username || Column("actor").collating(.nocase) == username)
            }
            if let outcome = query.outcome { request = request.filter(Column("outcome") == outcome) }
            if let from = query.from { request = request.filter(Column("at") >= from) }
            if let to = query.to { request = request.filter(Column("at") < to) }
            let rows = try request.order(Column("id").desc).limit(AuditQuery.pageSize + 1, offset: query.offset).fetchAll(db)
            return (Array(rows.prefix(AuditQuery.pageSize)), rows.count > AuditQuery.pageSize)
        }
    }

    /// The device that answered `requestId` with a found object, if the log says one did: the
    /// evidence image is read from that device's results, and only for such a request.
    func foundDevice(requestId: String) async throws -> String? {
        try await database.writer.read { db in
            try String.fetchOne(db, sql: """
                SELECT deviceId FROM auditEvent WHERE requestId = ? AND kind = ? AND outcome = 'found' AND deviceId IS NOT NULL
                ORDER BY id DESC LIMIT 1
                """, arguments: [requestId, AuditEvent.Kind.verificationCompleted.rawValue])
        }
    }
}
