import CLISettings
import Foundation
import Testing

@Suite("EdgeFactorSettings")
struct EdgeFactorSettingsTests {
    /// A fresh folder with `edgefactor.json` holding `json` (when given); removed by the caller.
    static func home(json: String? = nil) throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("edgefactor-settings-\(UUID().uuidString)", isDirectory: true)
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        if let json { try Data(json.utf8).write(to: url.appendingPathComponent("edgefactor.json")) }
        return url
    }

    @Test("a flag wins over its variable, the variable over the file, the file over the default")
    func precedence() async throws {
        let home = try Self.home(json: """
            {"storage": {"caFile": "/file/ca.pem", "connectionString": "from-file"},
             "hub.serviceConnectionString": "service-from-file", "vision": {"runtimeLibrary": "/file/ort.so"}}
            """)
        defer { try? FileManager.default.removeItem(at: home) }
        let environment = [
            "EDGEFACTOR_HOME": home.path,
            "EDGEFACTOR_STORAGE_CA_FILE": "/env/ca.pem",
            "AZURE_STORAGE_CONNECTION_STRING": "from-env",
        ]
        let settings = try await EdgeFactorSettings.load(flags: [.storageCAFile: "/flag/ca.pem"], environment: environment)
        #expect(settings.storageCAFile == "/flag/ca.pem")                 // flag > variable > file
        #expect(settings.storageConnectionString == "from-env")           // variable > file
        #expect(settings.serviceConnectionString == "service-from-file")  // file (a flat dotted key)
        #expect(settings.runtimeLibrary == "/file/ort.so")                // file (nested objects)
        #expect(settings.identityConnectionString == nil)                 // default: the command's
        #expect(settings.home == home.path)
        #expect(settings.configFile == home.path + "/edgefactor.json")
    }

    @Test("without a file, only flags and the historical variables count; nothing else is read")
    func noFile() async throws {
        let home = try Self.home()
        defer { try? FileManager.default.removeItem(at: home) }
        let settings = try await EdgeFactorSettings.load(environment: [
            "EDGEFACTOR_HOME": home.path, "IOTHUB_CONNECTION_STRING": "service", "EDGEFACTOR_HUB_CONNECTION_STRING": "identity",
            "EDGEFACTOR_ORT_LIBRARY": "/opt/ort.so", "HOME": "/root", "STORAGE_CA_FILE": "/not/this",
            "IOTEDGE_MODULEID": "m", "EdgeHubConnectionString": "edge", "PATH": "/bin",
        ])
        #expect(settings == EdgeFactorSettings(
            home: home.path, serviceConnectionString: "service", identityConnectionString: "identity", runtimeLibrary: "/opt/ort.so",
            iotEdgeEnvironment: ["IOTEDGE_MODULEID": "m", "EdgeHubConnectionString": "edge"]))
        #expect(settings.homeDirectory == home.path)
        #expect(try await EdgeFactorSettings.load(environment: [:]).homeDirectory == "var")
    }

    @Test("empty paths are unset; an empty connection string stays, for the command to reject")
    func emptyValues() async throws {
        let settings = try await EdgeFactorSettings.load(environment: [
            "EDGEFACTOR_HOME": "", "EDGEFACTOR_STORAGE_CA_FILE": "", "AZURE_STORAGE_CONNECTION_STRING": "",
        ])
        #expect(settings.home == nil)
        #expect(settings.storageCAFile == nil)
        #expect(settings.storageConnectionString == "")
    }

    @Test("--config, else EDGEFACTOR_CONFIG, names the file instead of home's")
    func namedFile() async throws {
        let home = try Self.home(json: #"{"storage": {"caFile": "/home/ca.pem"}}"#)
        defer { try? FileManager.default.removeItem(at: home) }
        let other = home.appendingPathComponent("other.json").path
        try Data(#"{"storage": {"caFile": "/other/ca.pem"}}"#.utf8).write(to: URL(fileURLWithPath: other))
        let third = home.appendingPathComponent("third.json").path
        try Data(#"{"storage": {"caFile": "/third/ca.pem"}}"#.utf8).write(to: URL(fileURLWithPath: third))
        let environment = ["EDGEFACTOR_HOME": home.path, "EDGEFACTOR_CONFIG": other]
        #expect(try await EdgeFactorSettings.load(environment: environment).storageCAFile == "/other/ca.pem")
        let flagged = try await EdgeFactorSettings.load(configFile: third, environment: environment)
        #expect(flagged.storageCAFile == "/third/ca.pem")
        #expect(flagged.configFile == third)
    }

    @Test("a named file that does not exist is an error; home's file is optional")
    func missingFile() async throws {
        let home = try Self.home()
        defer { try? FileManager.default.removeItem(at: home) }
        let missing = home.appendingPathComponent("nope.json").path
        await #expect(throws: EdgeFactorSettingsError.missing(path: missing)) {
            try await EdgeFactorSettings.load(configFile: missing, environment: [:])
        }
        await #expect(throws: EdgeFactorSettingsError.missing(path: missing)) {
            try await EdgeFactorSettings.load(environment: ["EDGEFACTOR_CONFIG": missing])
        }
        #expect(try await EdgeFactorSettings.load(environment: ["EDGEFACTOR_HOME": home.path]).configFile == nil)
    }

    @Test("a file that does not parse is an error naming the file", arguments: [
        #"{"storage": {"caFile": "/x.pem",}"#,   // not JSON
        #"["home", "/srv"]"#,                     // JSON, but not an object
        "",                                        // empty
    ])
    func brokenFile(json: String) async throws {
        let home = try Self.home(json: json)
        defer { try? FileManager.default.removeItem(at: home) }
        let file = home.path + "/edgefactor.json"
        do {
            _ = try await EdgeFactorSettings.load(environment: ["EDGEFACTOR_HOME": home.path])
            Issue.record("a broken file was accepted")
        } catch {
            guard case .unreadable(let path, _) = error else { Issue.record("unexpected error \(error)"); return }
            #expect(path == file)
            #expect(error.description.contains(file))
            #expect(error.description.contains("does not parse"))
        }
    }

    @Test("a value that is not a string is an error naming the file and the key")
    func wrongType() async throws {
        let home = try Self.home(json: #"{"storage": {"caFile": 42}}"#)
        defer { try? FileManager.default.removeItem(at: home) }
        let file = home.path + "/edgefactor.json"
        await #expect(throws: EdgeFactorSettingsError.invalidValue(path: file, key: "storage.caFile")) {
            try await EdgeFactorSettings.load(environment: ["EDGEFACTOR_HOME": home.path])
        }
    }

    @Test("each setting keeps its historical variable")
    func variables() {
        #expect(EdgeFactorSettings.Key.allCases.map(\.environmentVariable) == [
            "EDGEFACTOR_HOME", "AZURE_STORAGE_CONNECTION_STRING", "EDGEFACTOR_STORAGE_CA_FILE",
            "IOTHUB_CONNECTION_STRING", "EDGEFACTOR_HUB_CONNECTION_STRING", "EDGEFACTOR_ORT_LIBRARY",
        ])
    }
}
