import ArgumentParser
import AzureStorage
import Foundation
import FrontEnd
import Logging
import Verification

/// `edgefactor users objects`: a person's own objects, for an administrator.
struct UsersObjectsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "objects",
        abstract: "Enrol, list and remove accounts' personal objects.",
        discussion: """
            A personal object is the person's own object, enrolled at the account's camera: from then \
            on sign-in asks for it (by the name given here) instead of an object class. `add` runs the \
            same enrolment as the web page, through the hub: the device captures views for a few \
            seconds while someone turns the object in front of it. `remove` deletes the object at once \
            and asks the device to erase its template.
            """,
        subcommands: [UsersObjectsAddCommand.self, UsersObjectsListCommand.self, UsersObjectsRemoveCommand.self]
    )
}

/// Thrown when a device-side step failed; exit status 1, after the message has been printed.
struct ObjectCommandFailure: Error, CustomStringConvertible {
    var description: String
}

struct UsersObjectsAddCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "add", abstract: "Enrol a personal object at the account's camera (someone turns it in front of the camera).")

    @Argument(help: "User name.")
    var username: String

    @Option(help: ArgumentHelp("The person's name for the object, as sign-in will ask for it (\"blue mug\").", valueName: "text"))
    var name: String

    @Option(help: "Distinct views the device keeps (3-12).")
    var views = ObjectSettings().views

    @Option(help: "Seconds the device captures (2-60).")
    var seconds = ObjectSettings().captureSeconds

    @OptionGroup var store: FrontendDatabaseOptions
    @OptionGroup var reach: DeviceReachOptions
    @OptionGroup var config: ConfigOption

    func validate() throws {
        guard EnrolmentRequest.viewRange.contains(views) else { throw ValidationError("--views must be 3 to 12") }
        guard EnrolmentRequest.captureRange.contains(seconds) else { throw ValidationError("--seconds must be 2 to 60") }
    }

    func run() async throws {
        let settings = try await config.settings(reach.settingFlags)
        let database = try store.open(settings)
        guard let account = try await UserStore(database: database).find(username) else { throw FrontEndError.userNotFound(username) }
        let objects = ObjectStore(database: database)
        var objectSettings = ObjectSettings()
        objectSettings.views = views
        objectSettings.captureSeconds = seconds
        let enroller = try reach.enroller(settings, objects: objects, settings: objectSettings)
        let request = try await enroller.prepare(username: account.username, deviceId: account.deviceId, moduleId: account.moduleId, name: name)
        print("enrolling \"\(request.objectName)\" for \(account.username) on \(account.deviceId): turn it slowly in front of the camera (\(Int(seconds)) s)")
        let status = await enroller.run(request, username: account.username) { status in
            if let progress = status.progress {
                let refusal = progress.lastRefusal.map { "; last refused: \($0)" } ?? ""
                print("  \(progress.acceptedViews)/\(progress.wantedViews) views, \(progress.framesSeen) frames: \(progress.hint)\(refusal)")
            }
        }
        try await AuditLog(database: database).record(AuditEvent(
            kind: .objectChanged, username: account.username, requestId: request.requestId, deviceId: account.deviceId,
            className: request.objectName, outcome: status.phase == .enrolled ? "enrolled" : "enrol-\(status.phase.rawValue)",
            detail: "by CLI" + (status.reason.map { ": \($0)" } ?? "")))
        guard status.phase == .enrolled, let object = status.object else {
            throw ObjectCommandFailure(description: "not enrolled (\(status.phase.rawValue)): \(status.reason ?? "see the device's log")")
        }
        print("enrolled \(object.templateId) \"\(object.name)\": \(UsersObjectsListCommand.quality(object.quality))")
    }
}

struct UsersObjectsListCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "list", abstract: "List personal objects (one account's, or everyone's).")

    @Argument(help: "User name (default: every account).")
    var username: String?

    @OptionGroup var store: FrontendDatabaseOptions
    @OptionGroup var config: ConfigOption

    @Flag(help: "One JSON object per line.")
    var json = false

    func run() async throws {
        let settings = try await config.settings()
        let objects = ObjectStore(database: try store.open(settings))
        let list: [PersonalObject]
        if let username { list = try await objects.list(username: username) } else { list = try await objects.listAll() }
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            encoder.dateEncodingStrategy = .iso8601
            for object in list {
                let line = ObjectLine(
                    templateId: object.templateId, username: object.username, name: object.name, device: object.deviceId,
                    module: object.moduleId, created: object.createdAt, quality: object.quality)
                print(String(decoding: try encoder.encode(line), as: UTF8.self))
            }
            return
        }
        guard !list.isEmpty else {
            print("no personal objects: enrol one with `edgefactor users objects add USER --name \"blue mug\"`")
            return
        }
        var rows = [["ID", "USER", "NAME", "DEVICE/MODULE", "CREATED", "QUALITY"]]
        for object in list {
            rows.append([
                object.templateId, object.username, object.name, object.deviceId + (object.moduleId.map { "/\($0)" } ?? ""),
                object.createdAt.formatted(.iso8601), Self.quality(object.quality),
            ])
        }
        TextTable.print(rows)
    }

    static func quality(_ quality: TemplateQuality) -> String {
        "\(quality.views) views of \(quality.framesSeen) frames, similarity between views \(String(format: "%.2f", quality.meanViewSimilarity))"
    }

    struct ObjectLine: Encodable {
        var templateId: String
        var username: String
        var name: String
        var device: String
        var module: String?
        var created: Date
        var quality: TemplateQuality
    }
}

struct UsersObjectsRemoveCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "remove", abstract: "Remove a personal object: never asked for again; the device is told to erase its template.")

    @Argument(help: "User name.")
    var username: String

    @Argument(help: "The object's id (from `users objects list`).")
    var templateId: String

    @OptionGroup var store: FrontendDatabaseOptions
    @OptionGroup var reach: DeviceReachOptions
    @OptionGroup var config: ConfigOption

    func run() async throws {
        let settings = try await config.settings(reach.settingFlags)
        let database = try store.open(settings)
        let objects = ObjectStore(database: database)
        let object = try await objects.remove(templateId: templateId, username: username)
        try await AuditLog(database: database).record(AuditEvent(
            kind: .objectChanged, username: object.username, deviceId: object.deviceId, className: object.name, outcome: "removed",
            detail: "template \(object.templateId) by CLI"))
        print("removed \(object.templateId) \"\(object.name)\" of \(object.username)")
        let problem: String?
        do {
            problem = try await reach.enroller(settings, objects: objects).sendRemoval(of: object)
        } catch {
            problem = "\(error)"
        }
        if let problem {
            throw ObjectCommandFailure(description: "the device was not told to erase the template (it can no longer be used to sign in): \(problem)")
        }
        print("the device \(object.deviceId) was asked to erase it")
    }
}
