import Foundation
import GRDB
import Testing

@testable import StorageService

/// Group commit on a real SQLite database: writes that arrive together share a transaction, one
/// that throws is rolled back alone, and every caller gets its own answer.
@Suite struct GroupCommitTests {
    let directory: URL
    let database: StorageDatabase

    init() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("group-commit-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        database = try StorageDatabase(path: directory.appendingPathComponent("storage.sqlite").path)
        try database.pool.write { db in try db.execute(sql: "CREATE TABLE items (n INTEGER PRIMARY KEY)") }
    }

    private func stored() throws -> Set<Int> {
        Set(try database.pool.read { db in try Int.fetchAll(db, sql: "SELECT n FROM items") })
    }

    struct Refused: Error, Equatable { var n: Int }

    @Test func concurrentWritesEachCommitAndAnswerTheirCaller() async throws {
        defer { try? FileManager.default.removeItem(at: directory) }
        let answers = try await withThrowingTaskGroup(of: Int.self) { group in
            for n in 0..<200 {
                group.addTask {
                    try await database.groupCommit.write { db in
                        try db.execute(sql: "INSERT INTO items (n) VALUES (?)", arguments: [n])
                        return n * 2
                    }
                }
            }
            return try await group.reduce(into: Set<Int>()) { $0.insert($1) }
        }
        #expect(answers == Set((0..<200).map { $0 * 2 }))
        #expect(try stored() == Set(0..<200))
    }

    @Test func aWriteThatThrowsIsRolledBackAloneAndTheOthersCommit() async throws {
        defer { try? FileManager.default.removeItem(at: directory) }
        let outcomes = await withTaskGroup(of: (Int, Bool).self) { group in
            for n in 0..<100 {
                group.addTask {
                    do {
                        try await database.groupCommit.write { db in
                            // Every seventh write inserts its row, then fails: the row must not stay.
                            try db.execute(sql: "INSERT INTO items (n) VALUES (?)", arguments: [n])
                            if n % 7 == 0 { throw Refused(n: n) }
                        }
                        return (n, true)
                    } catch let error as Refused {
                        #expect(error.n == n)
                        return (n, false)
                    } catch {
                        Issue.record("unexpected error \(error)")
                        return (n, false)
                    }
                }
            }
            return await group.reduce(into: [Int: Bool]()) { $0[$1.0] = $1.1 }
        }
        let expected = Set((0..<100).filter { $0 % 7 != 0 })
        #expect(Set(outcomes.filter(\.value).keys) == expected)
        #expect(try stored() == expected)
    }

    @Test func aConstraintViolationIsThatWritesOwnErrorAndLaterWritesStillWork() async throws {
        defer { try? FileManager.default.removeItem(at: directory) }
        try await database.groupCommit.write { db in try db.execute(sql: "INSERT INTO items (n) VALUES (1)") }
        await #expect(throws: DatabaseError.self) {
            try await database.groupCommit.write { db in try db.execute(sql: "INSERT INTO items (n) VALUES (1)") }
        }
        try await database.groupCommit.write { db in try db.execute(sql: "INSERT INTO items (n) VALUES (2)") }
        #expect(try stored() == [1, 2])
    }
}
