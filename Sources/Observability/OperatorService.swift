import ServiceLifecycle

/// An ``OperatorServer`` as a member of its server's `ServiceGroup`, so that it starts and stops
/// with the server. A port that cannot be bound leaves it waiting for the graceful shutdown:
/// a finished service would end the whole group.
package struct OperatorService: Service {
    package let server: OperatorServer

    package init(_ server: OperatorServer) {
        self.server = server
    }

    package func run() async throws {
        await server.run()
        try? await gracefulShutdown()
    }
}
