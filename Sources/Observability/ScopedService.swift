package import Logging
package import ServiceLifecycle

/// Runs a server for the length of a closure, the way HummingbirdTesting's live framework does:
/// the server runs in a ``ServiceGroup`` child of this call, the closure gets the handle the server
/// reports once it listens, and when the closure returns (or throws) the group shuts down
/// gracefully and this call waits for it. A server that fails before listening (a taken port)
/// throws its own error out of here; nothing is left running either way.
package enum ScopedService {
    /// - Parameters:
    ///   - makeService: builds the server, given the callback it must call once it listens.
    ///   - body: what runs while the server serves.
    package static func withRunning<Handle: Sendable, Result>(
        logger: Logger,
        _ makeService: (@escaping @Sendable (Handle) async -> Void) -> some Service,
        _ body: (Handle) async throws -> Result
    ) async throws -> Result {
        let (handles, listening) = AsyncStream.makeStream(of: Handle.self, bufferingPolicy: .bufferingNewest(1))
        let service = makeService { listening.yield($0) }
        let group = ServiceGroup(configuration: .init(services: [service], logger: logger))
        return try await withThrowingTaskGroup(of: Void.self) { children in
            children.addTask {
                defer { listening.finish() }
                try await group.run()
            }
            var iterator = handles.makeAsyncIterator()
            guard let handle = await iterator.next() else {
                // The server ended before it listened: its error (if any) says why.
                try await children.waitForAll()
                throw ScopedServiceError.stoppedBeforeListening
            }
            let result: Result
            do {
                result = try await body(handle)
            } catch {
                await group.triggerGracefulShutdown()
                try? await children.waitForAll()
                throw error
            }
            await group.triggerGracefulShutdown()
            try await children.waitForAll()
            return result
        }
    }
}

/// A server passed to ``ScopedService`` returned without ever listening or failing.
package enum ScopedServiceError: Error, CustomStringConvertible {
    case stoppedBeforeListening

    package var description: String { "the server stopped during start-up without saying why" }
}
