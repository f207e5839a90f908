public import Foundation
import PrivateFiles

/// What a running hub writes to `hub.json` in its data directory so that tools (the `edgefactor
/// hub` admin verbs, scripts) can reach it without flags. Contains the service key: the file is
/// readable by its owner only.
public struct HubDescription: Sendable, Codable, Equatable {
    public var hostName: String
    public var mqttTLSPort: Int?
    public var mqttPlainPort: Int?
    public var restPort: Int
    public var restScheme: String
    public var bindHost: String
    public var caCertificateFile: String
    public var serviceConnectionString: String

    public static let fileName = "hub.json"

    public init(
        hostName: String, mqttTLSPort: Int?, mqttPlainPort: Int?, restPort: Int, restScheme: String,
        bindHost: String, caCertificateFile: String, serviceConnectionString: String
    ) {
        self.hostName = hostName
        self.mqttTLSPort = mqttTLSPort
        self.mqttPlainPort = mqttPlainPort
        self.restPort = restPort
        self.restScheme = restScheme
        self.bindHost = bindHost
        self.caCertificateFile = caCertificateFile
        self.serviceConnectionString = serviceConnectionString
    }

    public func write(to directory: URL) throws {
        let url = directory.appendingPathComponent(Self.fileName)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        try PrivateFiles.write(try encoder.encode(self), to: url.path)
    }

    /// Reads `hub.json` from a hub data directory.
    public static func read(from directory: URL) throws -> HubDescription {
        let url = directory.appendingPathComponent(fileName)
        guard let data = try? Data(contentsOf: url) else {
            throw HubStartError("no \(fileName) in \(directory.path): start the hub first (`edgefactor hub`) or pass --connection-string")
        }
        return try JSONDecoder().decode(HubDescription.self, from: data)
    }
}
