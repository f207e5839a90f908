import ArgumentParser
import Foundation
import FrontEnd

/// `edgefactor users`: manage front-end accounts and their enrolled object classes.
struct UsersCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "users",
        abstract: "Manage front-end accounts and their enrolled object classes.",
        discussion: """
            Each account has a password (bcrypt), one or more object classes (one is picked at random \
            for each sign-in), a confidence threshold, and the device (and edge module) that verifies \
            them. Passwords are read from the terminal without echo, or from standard input with \
            --password-stdin. `users objects` enrols a person's own objects, which sign-in then asks \
            for instead of a class.
            """,
        subcommands: [UsersAddCommand.self, UsersListCommand.self, UsersSetCommand.self, UsersRemoveCommand.self, UsersObjectsCommand.self]
    )
}

/// Options naming the second factor of an account.
struct UsersFactorOptions: ParsableArguments {
    @Option(name: .customLong("class"), help: ArgumentHelp("An object class to enrol (repeat, or separate with ';'). Must be a label of the model.", valueName: "name"))
    var classes: [String] = []

    @Option(help: ArgumentHelp("Minimum confidence in percent (1-100).", valueName: "percent"))
    var threshold: Double?

    @Option(help: ArgumentHelp("The hub device id of the user's camera device.", valueName: "id"))
    var device: String?

    @Option(help: ArgumentHelp("The edge module on that device that takes ProcessRequest.", valueName: "id"))
    var module: String?

    @Option(help: ArgumentHelp("Labels file to check classes against (default: $EDGEFACTOR_HOME/models/labels.txt, else ./var/models/labels.txt; without one the command stops and says so).", valueName: "path"))
    var labels: String?

    @Flag(help: "Skip checking classes against the model's labels.")
    var skipLabelCheck = false

    func catalogue() throws -> (@Sendable (String) -> String?)? {
        if skipLabelCheck { return nil }
        return try ModelLabels.catalogue(path: labels)
    }
}

struct UsersAddCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "add", abstract: "Create an account.")

    @Argument(help: "User name (1-64 letters, digits, . _ - @).")
    var username: String

    @OptionGroup var factor: UsersFactorOptions
    @OptionGroup var store: FrontendDatabaseOptions
    @OptionGroup var config: ConfigOption

    @Flag(help: "Read the password from the first line of standard input.")
    var passwordStdin = false

    @Flag(help: "Make the account an administrator: after a sign-in with both factors it sees the admin pages (/admin). Only this command and `users set --role` name administrators.")
    var admin = false

    func validate() throws {
        guard !factor.classes.isEmpty else { throw ValidationError("enrol at least one object class with --class") }
        guard factor.device != nil else { throw ValidationError("name the verifying device with --device") }
    }

    func run() async throws {
        let settings = try await config.settings()
        let users = UserStore(database: try store.open(settings), classCatalogue: try factor.catalogue())
        let password = try PasswordInput.read(fromStdin: passwordStdin, confirm: true)
        let account = try await users.add(
            username: username, password: password, classes: factor.classes, threshold: factor.threshold ?? 70,
            deviceId: factor.device ?? "", moduleId: factor.module, role: admin ? .admin : .user
        )
        try await AuditLog(database: store.open(settings)).record(
            AuditEvent(kind: .accountChanged, username: account.username, deviceId: account.deviceId, outcome: "added",
                       detail: admin ? "administrator, by CLI" : "by CLI")
        )
        print("added \(admin ? "administrator " : "")\(account.username): \(account.classes.joined(separator: "; ")) at \(account.threshold) % on \(account.deviceId)\(account.moduleId.map { "/\($0)" } ?? "") (in \(store.path(settings)))")
    }
}

struct UsersListCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "list", abstract: "List accounts.")

    @OptionGroup var store: FrontendDatabaseOptions
    @OptionGroup var config: ConfigOption

    @Flag(help: "One JSON object per line.")
    var json = false

    func run() async throws {
        let settings = try await config.settings()
        let database = try store.open(settings)
        let users = UserStore(database: database)
        let accounts = try await users.list()
        let throttle = LoginFailures(database: database)
        if json {
            for account in accounts {
                let status = try await throttle.status(account.username)
                let line: [String: String] = [
                    "username": account.username, "classes": account.classes.joined(separator: ";"),
                    "threshold": String(account.threshold), "device": account.deviceId, "module": account.moduleId ?? "",
                    "failures": String(status.consecutive), "locked": String(status.locked),
                    "lastLogin": account.lastLoginAt?.formatted(.iso8601) ?? "", "role": account.role.rawValue,
                ]
                let data = try JSONSerialization.data(withJSONObject: line, options: [.sortedKeys])
                print(String(decoding: data, as: UTF8.self))
            }
            return
        }
        guard !accounts.isEmpty else {
            print("no accounts: add one with `edgefactor users add NAME --class banana --device DEVICE`")
            return
        }
        var rows = [["USER", "ROLE", "CLASSES", "THRESHOLD", "DEVICE/MODULE", "FAILURES", "LAST SIGN-IN"]]
        for account in accounts {
            let status = try await throttle.status(account.username)
            rows.append([
                account.username, account.role.rawValue, account.classes.joined(separator: "; "), "\(account.threshold) %",
                account.deviceId + (account.moduleId.map { "/\($0)" } ?? ""),
                status.locked ? "\(status.consecutive) LOCKED" : "\(status.consecutive)",
                account.lastLoginAt?.formatted(.iso8601) ?? "never",
            ])
        }
        TextTable.print(rows)
    }
}

struct UsersSetCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "set", abstract: "Change an account: password, classes, threshold, device, module, role, or lock or unlock it.")

    @Argument(help: "User name.")
    var username: String

    @OptionGroup var factor: UsersFactorOptions
    @OptionGroup var store: FrontendDatabaseOptions
    @OptionGroup var config: ConfigOption

    @Flag(help: "Set a new password (prompted, or read with --password-stdin). Also unlocks.")
    var password = false

    @Flag(help: "Read the new password from the first line of standard input.")
    var passwordStdin = false

    @Flag(help: "Remove the module: send ProcessRequest to the device itself.")
    var noModule = false

    @Flag(help: "Clear failed sign-ins and the lockout.")
    var unlock = false

    @Flag(help: "Lock the account: sign-in refuses it until --unlock or a new password.")
    var lock = false

    @Option(help: ArgumentHelp("user, or admin: an administrator sees the admin pages after a sign-in with both factors.", valueName: "role"))
    var role: String?

    func validate() throws {
        guard !(lock && (unlock || password || passwordStdin)) else { throw ValidationError("--lock cannot go with --unlock or a new password (both unlock)") }
        if let role, AccountRole(rawValue: role) == nil { throw ValidationError("--role must be user or admin (got \(role.prefix(20)))") }
    }

    func run() async throws {
        let settings = try await config.settings()
        let database = try store.open(settings)
        let users = UserStore(database: database, classCatalogue: factor.classes.isEmpty ? nil : try factor.catalogue())
        var changes = UserStore.Changes()
        if password || passwordStdin { changes.password = try PasswordInput.read(fromStdin: passwordStdin, confirm: true) }
        if !factor.classes.isEmpty { changes.classes = factor.classes }
        changes.threshold = factor.threshold
        changes.deviceId = factor.device
        if noModule { changes.moduleId = .some(nil) } else if let module = factor.module { changes.moduleId = .some(module) }
        changes.role = role.flatMap(AccountRole.init(rawValue:))
        let account = try await users.update(username: username, changes: changes)
        if unlock || changes.password != nil {
            try await LoginFailures(database: database).reset(account.username)
        }
        if lock { try await LoginFailures(database: database).lock(account.username) }
        let outcome = lock ? "locked" : unlock ? "unlocked" : "changed"
        try await AuditLog(database: database).record(
            AuditEvent(kind: .accountChanged, username: account.username, deviceId: account.deviceId, outcome: outcome,
                       detail: "by CLI" + (changes.role.map { ", role \($0.rawValue)" } ?? ""))
        )
        print("updated \(account.role == .admin ? "administrator " : "")\(account.username)\(lock ? " (locked)" : ""): \(account.classes.joined(separator: "; ")) at \(account.threshold) % on \(account.deviceId)\(account.moduleId.map { "/\($0)" } ?? "")")
    }
}

struct UsersRemoveCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "remove", abstract: "Delete an account (its audit history stays).")

    @Argument(help: "User name.")
    var username: String

    @OptionGroup var store: FrontendDatabaseOptions
    @OptionGroup var config: ConfigOption

    func run() async throws {
        let settings = try await config.settings()
        let database = try store.open(settings)
        try await UserStore(database: database).remove(username: username)
        try await AuditLog(database: database).record(AuditEvent(kind: .accountChanged, username: username, outcome: "removed", detail: "by CLI"))
        print("removed \(username)")
    }
}
