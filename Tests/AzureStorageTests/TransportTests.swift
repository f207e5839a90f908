import AzureStorage
import Foundation
import StorageService
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// A loopback TCP socket that accepts connections (through the kernel backlog) and never answers.
final class SilentListener {
    let fd: Int32
    let port: Int

    init() throws {
        let socketFD = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(socketFD, $0, length) } }
        guard bound == 0, listen(socketFD, 16) == 0 else {
            close(socketFD)
            throw StorageServerError("cannot listen for the silent-server test")
        }
        _ = withUnsafeMutablePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(socketFD, $0, &length) } }
        fd = socketFD
        port = Int(UInt16(bigEndian: address.sin_port))
    }

    deinit { close(fd) }
}

@Suite("Retries and deadlines")
struct TransportTests {
    func connection(port: Int) -> StorageConnectionString {
        StorageConnectionString(
            accountName: "devstoreaccount1",
            blobEndpoint: URL(string: "http://127.0.0.1:\(port)/devstoreaccount1")!,
            queueEndpoint: URL(string: "http://127.0.0.1:\(port)/devstoreaccount1")!,
            credential: StorageConnectionString.development.credential
        )
    }

    @Test("a server that never answers ends in a Timeout error within the call deadline")
    func deadline() async throws {
        let listener = try SilentListener()
        let retry = RetryPolicy(maximumAttempts: 3, baseDelay: .milliseconds(10), maximumDelay: .milliseconds(20), attemptTimeout: .milliseconds(300), callTimeout: .seconds(5))
        let queue = QueueClient(connectionString: connection(port: listener.port), queueName: "q", retry: retry)
        let clock = ContinuousClock()
        let start = clock.now
        do {
            try await queue.create()
            Issue.record("a silent server must time out")
        } catch let error as StorageError {
            #expect(error.status == 0)
            #expect(error.code == "Timeout")
            #expect(error.message.contains("did not answer"))
        }
        let elapsed = clock.now - start
        #expect(elapsed >= .milliseconds(850), "three attempts of 300 ms each were made")
        // Generous: other tests share the 2-core machine; without deadlines this would hang forever.
        #expect(elapsed < .seconds(30))
        withExtendedLifetime(listener) {}
    }

    @Test("the call deadline caps retries")
    func callDeadline() async throws {
        let listener = try SilentListener()
        let retry = RetryPolicy(maximumAttempts: 50, baseDelay: .milliseconds(10), maximumDelay: .milliseconds(10), attemptTimeout: .seconds(10), callTimeout: .milliseconds(700))
        let blob = BlobClient(connectionString: connection(port: listener.port), containerName: "c", blobName: "b", retry: retry)
        let clock = ContinuousClock()
        let start = clock.now
        await #expect(throws: StorageError.self) { _ = try await blob.exists() }
        // 50 attempts of 10 s each without the call deadline; generous for a loaded machine.
        #expect(clock.now - start < .seconds(30))
        withExtendedLifetime(listener) {}
    }

    // AsyncHTTPClient keeps retrying a refused connection until the attempt's deadline, so the
    // attempt timeout bounds how long a call against a stopped service takes.
    @Test("nothing listening: ConnectionFailed after the configured attempts, with a fix in the message")
    func refused() async throws {
        let port = try SilentListener().port  // closed again at once: the port is free now
        let queue = QueueClient(connectionString: connection(port: port), queueName: "q", retry: RetryPolicy(maximumAttempts: 2, baseDelay: .milliseconds(1), attemptTimeout: .seconds(1)))
        do {
            _ = try await queue.send("x")
            Issue.record("nothing is listening")
        } catch let error as StorageError {
            #expect(error.code == "ConnectionFailed")
            #expect(error.message.contains("check that the storage service is running"))
        }
    }

    @Test("backoff delays stay within the jittered exponential bound")
    func backoff() {
        let policy = RetryPolicy(baseDelay: .milliseconds(100), maximumDelay: .milliseconds(1000))
        #expect(RetryPolicy.isRetryable(status: 503))
        #expect(RetryPolicy.isRetryable(status: 500))
        #expect(!RetryPolicy.isRetryable(status: 404))
        #expect(!RetryPolicy.isRetryable(status: 409))
        #expect(policy.maximumAttempts == 4)
    }
}
