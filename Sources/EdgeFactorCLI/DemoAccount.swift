import Foundation
import FrontEnd
import PrivateFiles

/// The demo account: created on the first run with a random password, which is kept (owner-only)
/// so that later runs print the same credentials.
struct DemoAccount: Codable {
    var username: String
    var password: String

    static func ensure(
        username: String, className: String, threshold: Double, deviceId: String, moduleId: String,
        database: FrontEndDatabase, credentialsFile: URL
    ) async throws -> DemoAccount {
        let users = UserStore(database: database)
        if let data = try? Data(contentsOf: credentialsFile),
           let saved = try? JSONDecoder().decode(DemoAccount.self, from: data),
           saved.username == username,
           try await users.find(username) != nil {
            // Keep the account in step with this run's options.
            try await users.update(username: username, changes: .init(classes: [className], threshold: threshold, deviceId: deviceId, moduleId: .some(moduleId)))
            return saved
        }
        let account = DemoAccount(username: username, password: Self.randomPassword())
        if try await users.find(username) != nil {
            try await users.update(username: username, changes: .init(password: account.password, classes: [className], threshold: threshold, deviceId: deviceId, moduleId: .some(moduleId)))
        } else {
            try await users.add(username: username, password: account.password, classes: [className], threshold: threshold, deviceId: deviceId, moduleId: moduleId)
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        do {
            try PrivateFiles.write(try encoder.encode(account), to: credentialsFile.path)
        } catch {
            throw DemoError("cannot write the demo credentials: \(error)")
        }
        return account
    }

    /// Four groups of four letters and digits (about 80 bits): easy to type, impossible to guess.
    static func randomPassword() -> String {
        let alphabet = Array("abcdefghjkmnpqrstuvwxyz23456789")
        var generator = SystemRandomNumberGenerator()
        return (0..<4).map { _ in String((0..<4).map { _ in alphabet[Int.random(in: 0..<alphabet.count, using: &generator)] }) }
            .joined(separator: "-")
    }
}

/// A demo set-up problem, with what to do about it.
struct DemoError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
