import DevelopmentTLS
import Foundation
import GRDB
import ListenerSafety
import NIOCore
import NIOSSL
import Observability
import PrivateFiles

/// The steps of ``HubServer/run()`` before it serves, one concern each.
extension HubServer {
    /// The TLS side of the hub: what clients trust, and what its listeners present.
    struct TLSIdentity {
        let caPEM: String
        /// `certs/ca.pem` in the data directory, for clients to trust.
        let caFile: URL
        let tlsConfiguration: TLSConfiguration
        let sslContext: NIOSSLContext
    }

    /// The MQTT listeners that are bound, and their ports.
    struct MQTTListeners {
        var channels: [any Channel] = []
        var tlsPort: Int?
        var plainPort: Int?
    }

    /// Refuses plain listeners and the operator endpoint off loopback unless explicitly allowed.
    static func checkBindPolicy(_ configuration: HubConfiguration) throws {
        let insecure = [
            configuration.mqttPlainPort != nil ? "plain (unencrypted) MQTT" : nil,
            configuration.restTLS ? nil : "the service REST API over plain HTTP",
        ].compactMap { $0 }
        if !insecure.isEmpty, let refusal = BindPolicy.refusal(
            host: configuration.bindHost, exposing: insecure.joined(separator: " and "), allowed: configuration.allowInsecureRemote
        ) {
            throw HubStartError(refusal)
        }
        if let endpoint = configuration.metricsEndpoint,
           let refusal = endpoint.refusal(allowRemote: configuration.allowInsecureRemote, option: "--metrics-address") {
            throw HubStartError(refusal)
        }
    }

    /// Creates the data directory and its database privately (0700, 0600) and opens the registry.
    static func openDatabase(in directory: URL) throws -> (DatabasePool, IdentityRegistry) {
        do {
            try PrivateFiles.createDirectory(directory.path)
            try PrivateFiles.prepareDatabase(at: directory.appendingPathComponent("hub.sqlite").path)
        } catch {
            throw HubStartError("cannot create the data directory \(directory.path): \(error)")
        }
        let database: DatabasePool
        do {
            database = try HubDatabase.open(at: directory.appendingPathComponent("hub.sqlite"))
        } catch {
            throw HubStartError("cannot open the hub database in \(directory.path): \(error)")
        }
        return (database, IdentityRegistry(database: database))
    }

    /// The development CA's certificates (made on first start) or the configured files.
    static func loadTLSIdentity(_ configuration: HubConfiguration) throws -> TLSIdentity {
        let directory = configuration.dataDirectory
        let caPEM: String
        let chainPEM: String
        let keyPEM: String
        switch configuration.certificate {
        case .developmentCA:
            let certificates = try DevelopmentCertificates.loadOrCreate(
                in: directory.appendingPathComponent("certs"), hostName: configuration.hostName
            )
            caPEM = certificates.caCertificatePEM
            chainPEM = certificates.serverCertificatePEM + certificates.caCertificatePEM
            keyPEM = certificates.serverKeyPEM
        case .files(let chainPath, let keyPath):
            guard let chain = try? String(contentsOfFile: chainPath, encoding: .utf8),
                  let key = try? String(contentsOfFile: keyPath, encoding: .utf8) else {
                throw HubStartError("cannot read the certificate chain \(chainPath) or key \(keyPath)")
            }
            caPEM = chain
            chainPEM = chain
            keyPEM = key
        }
        let caFile = directory.appendingPathComponent("certs").appendingPathComponent("ca.pem")
        if case .files = configuration.certificate {
            try? PrivateFiles.createDirectory(caFile.deletingLastPathComponent().path)
            try? caPEM.write(to: caFile, atomically: true, encoding: .utf8)
        }
        // TLS 1.2 or later (the Azure Python device SDK speaks exactly 1.2), with a short close.
        let tlsConfiguration: TLSConfiguration
        do {
            tlsConfiguration = try ServerTLSConfiguration.make(chainPEM: chainPEM, keyPEM: keyPEM)
        } catch {
            throw HubStartError(error.message)
        }
        return TLSIdentity(
            caPEM: caPEM, caFile: caFile, tlsConfiguration: tlsConfiguration,
            sslContext: try NIOSSLContext(configuration: tlsConfiguration))
    }

    /// The service policy's key: configured, else stored, else made and stored.
    static func loadPolicyKey(_ configuration: HubConfiguration, registry: IdentityRegistry) async throws -> String {
        if let key = configuration.policyKey { return key }
        if let stored = try await registry.setting("policyKey") { return stored }
        let key = IdentityRegistry.newKey()
        try await registry.setSetting("policyKey", key)
        return key
    }

    /// Binds the TLS and plain MQTT listeners that are configured; none stays open on failure.
    static func bindMQTTListeners(core: HubCore, tls: NIOSSLContext) async throws -> MQTTListeners {
        let configuration = core.configuration
        var listeners = MQTTListeners()
        do {
            if let port = configuration.mqttTLSPort {
                let channel = try await bindMQTT(host: configuration.bindHost, port: port, tls: tls, core: core)
                listeners.channels.append(channel)
                listeners.tlsPort = channel.localAddress?.port
            }
            if let port = configuration.mqttPlainPort {
                let channel = try await bindMQTT(host: configuration.bindHost, port: port, tls: nil, core: core)
                listeners.channels.append(channel)
                listeners.plainPort = channel.localAddress?.port
            }
        } catch {
            for listener in listeners.channels { try? await listener.close() }
            throw HubStartError("cannot listen for MQTT on \(configuration.bindHost): \(error); is another hub or broker using the port?")
        }
        return listeners
    }
}
