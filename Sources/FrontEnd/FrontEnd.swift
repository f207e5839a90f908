import Foundation
import GRDB
import Hummingbird
import ListenerSafety
public import Logging
import NIOCore
import Observability
public import ServiceLifecycle

/// The authentication front-end: first factor (accounts, throttling, CSRF, sessions), second
/// factor (a signed request to the user's device through the hub, its signed result read from
/// storage by name: an object class, or the person's own enrolled object), "Your objects"
/// (enrolment through `EnrollObject`, removal through `RemoveObject`), the pages, and the original
/// application's endpoints.
///
/// Embed it with ``makeApplication(onListening:)`` (a Hummingbird application, itself a
/// `Service`), or run ``FrontEndService`` in a `ServiceGroup` beside other services.
public struct FrontEnd: Sendable {
    let configuration: FrontEndConfiguration
    let database: FrontEndDatabase
    let backend: any VerificationBackend
    let secrets: any DeviceSecretProvider
    let demoCamera: (any DemoCameraControl)?
    let storageRenewer: StorageAccessRenewer?
    let metrics: FrontEndMetrics
    /// `/healthz`, `/readyz`, `/metrics` (``FrontEndConfiguration/metricsEndpoint``); runs with the application.
    let operatorServer: OperatorServer?
    let logger: Logger

    /// - Parameters:
    ///   - backend: how to reach the hub and storage (``AzureVerificationBackend`` in production).
    ///   - secrets: each device's shared secret.
    ///   - demoCamera: `edgefactor demo` only: lets the pages point the demo camera at another
    ///     sample (`POST /demo/camera`); nil (the default) serves no such route.
    ///   - storageRenewer: renews the edge boxes' storage grants while the front-end runs (nil: none).
    public init(
        configuration: FrontEndConfiguration, database: FrontEndDatabase, backend: any VerificationBackend,
        secrets: any DeviceSecretProvider, demoCamera: (any DemoCameraControl)? = nil, storageRenewer: StorageAccessRenewer? = nil,
        logger: Logger = Logger(label: "edgefactor.frontend")
    ) {
        self.configuration = configuration
        self.database = database
        self.backend = backend
        self.secrets = secrets
        self.demoCamera = demoCamera
        self.storageRenewer = storageRenewer
        self.logger = logger
        let metrics = FrontEndMetrics()
        self.metrics = metrics
        operatorServer = configuration.metricsEndpoint.map { endpoint in
            OperatorServer(endpoint: endpoint, registry: metrics.registry, logger: logger, readiness: {
                await Self.readiness(database: database, backend: backend)
            })
        }
    }

    /// The front-end's metrics in Prometheus text format (what `/metrics` serves).
    func metricsText() -> String { metrics.registry.emitToString() }

    /// The port `/healthz`, `/readyz` and `/metrics` listen on, once they do (it waits while the
    /// application starts); nil without ``FrontEndConfiguration/metricsEndpoint`` or when the port
    /// could not be bound.
    public func metricsPort() async -> Int? { await operatorServer?.boundPort() }

    /// Ready while the database answers and the backend reaches the hub and storage.
    static func readiness(database: FrontEndDatabase, backend: any VerificationBackend) async -> Readiness {
        async let dependencies = backend.dependencyReadiness()
        let databaseReady = (try? await database.writer.read { try Int.fetchOne($0, sql: "SELECT 1") }) == 1
        var checks: [Readiness.Check] = [.init("database", databaseReady)]
        let (hub, storage) = await dependencies
        if let hub { checks.append(.init("hub", hub)) }
        if let storage { checks.append(.init("storage", storage)) }
        return Readiness(checks)
    }

    /// The Hummingbird application serving the front-end, with its verification worker as a service.
    ///
    /// - Parameter onListening: called with the bound port once the server listens (useful with port 0).
    /// - Throws: ``FrontEndError/configuration(_:)`` for a non-loopback host serving plain HTTP
    ///   (neither ``FrontEndConfiguration/behindTLS`` nor ``FrontEndConfiguration/allowInsecureRemote``).
    func makeApplication(onListening: @escaping @Sendable (Int) async -> Void = { _ in }) async throws -> some ApplicationProtocol {
        if !configuration.behindTLS, let refusal = BindPolicy.refusal(
            host: configuration.host, exposing: "sign-ins over plain HTTP", allowed: configuration.allowInsecureRemote
        ) {
            throw FrontEndError.configuration(refusal + " Behind a TLS reverse proxy, pass --behind-tls.")
        }
        if let endpoint = configuration.metricsEndpoint,
           let refusal = endpoint.refusal(allowRemote: configuration.allowInsecureRemote, option: "--metrics-address") {
            throw FrontEndError.configuration(refusal)
        }
        let renderer = try await PageRenderer.load()
        let hasher = PasswordHasher(cost: configuration.bcryptCost)
        let audit = AuditLog(database: database)
        // Verifications a previous run left open end as interrupted, and their pages say so.
        let interrupted: Set<String>
        do { interrupted = try await audit.closeInterrupted() } catch {
            logger.error("cannot close the verifications a restart interrupted: \(error)")
            interrupted = []
        }
        if !interrupted.isEmpty { logger.notice("verifications interrupted by the last stop", metadata: ["count": "\(interrupted.count)"]) }
        let accountThrottle = AccountThrottle(database: database, policy: configuration.throttle, clock: configuration.clock)
        let tracker = VerificationTracker()
        let objects = ObjectStore(database: database)
        let enrolments = EnrolmentTracker()
        let enroller = ObjectEnroller(backend: backend, secrets: secrets, objects: objects, settings: configuration.objects, logger: logger)
        let state = FrontEndState(
            configuration: configuration,
            users: UserStore(database: database, bcryptCost: configuration.bcryptCost),
            accountThrottle: accountThrottle,
            addressThrottle: AddressThrottle(policy: configuration.throttle, clock: configuration.clock),
            audit: audit,
            sessions: SessionCookies(
                store: SessionStore(limits: .init(idleTimeout: configuration.sessionIdleTimeout, absoluteTimeout: configuration.sessionAbsoluteTimeout)),
                secure: configuration.behindTLS
            ),
            tracker: tracker,
            objects: objects,
            enrolments: enrolments,
            enroller: enroller,
            demoCamera: demoCamera,
            interrupted: interrupted,
            renderer: renderer,
            dummyHash: try await hasher.makeDummyHash(),
            metrics: metrics,
            logger: logger
        )
        let router = Router(context: FrontEndRequestContext.self)
        router.add(middleware: RequestMetricsMiddleware(metrics.requests))
        if configuration.accessLog { router.add(middleware: AccessLogMiddleware(AccessLog(logger: logger))) }
        router.add(middleware: SecurityHeadersMiddleware(behindTLS: configuration.behindTLS))
        StaticAssets(renderer: renderer).register(on: router)
        LoginController(state: state).register(on: router)
        VerificationController(state: state).register(on: router)
        AccountController(state: state).register(on: router)
        ObjectsController(state: state).register(on: router)
        if demoCamera != nil { DemoCameraController(state: state).register(on: router) }
        AdminController(state: state, backend: backend, admin: backend as? any AdminBackend).register(on: router)

        let worker = VerificationWorker(
            tracker: tracker, backend: backend, secrets: secrets, audit: audit, throttle: accountThrottle,
            objects: objects, settings: configuration.verification, metrics: metrics, logger: logger
        )
        let enrolmentWorker = EnrolmentWorker(tracker: enrolments, enroller: enroller, audit: audit, logger: logger)
        try? await accountThrottle.prune()
        var services: [any Service] = [worker, enrolmentWorker]
        if let storageRenewer { services.append(storageRenewer) }
        if let operatorServer { services.append(OperatorService(operatorServer)) }
        let logger = self.logger
        let limits = configuration.listenerLimits
        return Application(
            router: router,
            server: limits.http1,
            configuration: limits.applicationConfiguration(address: .hostname(configuration.host, port: configuration.port), logger: logger),
            services: services,
            onServerRunning: { channel in
                let port = channel.localAddress?.port ?? 0
                logger.info("front-end listening", metadata: ["address": "\(channel.localAddress?.description ?? "?")"])
                await onListening(port)
            },
            logger: logger
        )
    }
}

/// The front-end as a ServiceLifecycle service, for running beside the hub, storage and agents
/// in one process.
public struct FrontEndService: Service {
    let frontEnd: FrontEnd
    let onListening: @Sendable (Int) async -> Void

    public init(_ frontEnd: FrontEnd, onListening: @escaping @Sendable (Int) async -> Void = { _ in }) {
        self.frontEnd = frontEnd
        self.onListening = onListening
    }

    public func run() async throws {
        let application = try await frontEnd.makeApplication(onListening: onListening)
        try await application.run()
    }
}
