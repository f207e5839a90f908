import Foundation
@testable import FrontEnd
import Hummingbird
import HummingbirdTesting
import Testing
import Verification

/// A front-end on an in-memory database with one account, `alice`, enrolled with `banana` on `cam1`.
struct FrontEndHarness {
    static let password = "correct horse battery staple"

    let frontEnd: FrontEnd
    let database: FrontEndDatabase
    let users: UserStore

    init(backend: any VerificationBackend, secrets: any DeviceSecretProvider, configure: (inout FrontEndConfiguration) -> Void = { _ in }) async throws {
        var configuration = FrontEndConfiguration(port: 0, bcryptCost: 4)
        configuration.verification = VerificationSettings(requestLifetime: .seconds(20), resultGrace: 1, initialPollInterval: .milliseconds(50), maximumPollInterval: .milliseconds(200))
        configure(&configuration)
        database = try FrontEndDatabase.inMemory()
        users = UserStore(database: database, bcryptCost: 4)
        try await users.add(username: "alice", password: Self.password, classes: ["banana"], threshold: 70, deviceId: "cam1", moduleId: "edgefactor")
        frontEnd = FrontEnd(configuration: configuration, database: database, backend: backend, secrets: secrets)
    }

    init(device: SimulatedDevice, configure: (inout FrontEndConfiguration) -> Void = { _ in }) async throws {
        try await self.init(backend: device, secrets: StaticDeviceSecrets([device.deviceId: device.secret]), configure: configure)
    }

    func test(_ body: @escaping @Sendable (any TestClientProtocol) async throws -> Void) async throws {
        let app = try await frontEnd.makeApplication()
        try await app.test(.router, body)
    }
}

extension BrowserSession {
    /// GET / then post the sign-in form; returns the response to the post.
    @discardableResult
    func signIn(_ username: String = "alice", _ password: String = FrontEndHarness.password, path: String = "/login") async throws -> TestResponse {
        if csrf == nil { try await get("/") }
        let token = try #require(csrf)
        let fields = path == "/sendmessage"
            ? ["userName": username, "password": password, "__RequestVerificationToken": token]
            : ["username": username, "password": password, "csrf": token]
        return try await post(path, form: fields)
    }

    /// Polls the status endpoint until the verification ends; returns its JSON.
    func waitForOutcome(_ requestId: String, timeout: Duration = .seconds(30)) async throws -> [String: Any] {
        let clock = ContinuousClock()
        let deadline = clock.now + timeout
        while clock.now < deadline {
            let response = try await get("/verify/\(requestId)/status")
            #expect(response.status == .ok)
            let object = try #require(try JSONSerialization.jsonObject(with: Data(buffer: response.body)) as? [String: Any])
            if object["terminal"] as? Bool == true { return object }
            try await Task.sleep(for: .milliseconds(50))
        }
        Issue.record("verification \(requestId) did not end within \(timeout)")
        return [:]
    }
}

extension TestResponse {
    var location: String? { headers[.location] }
    var text: String { String(buffer: body) }

    /// The request id in a `/verify/{id}` or `/objectclassification?requestId=` redirect.
    var requestId: String? {
        guard let location else { return nil }
        if location.hasPrefix("/verify/") { return String(location.dropFirst("/verify/".count)) }
        return URLComponents(string: location)?.queryItems?.first { $0.name == "requestId" }?.value
    }
}

extension Data {
    init(buffer: ByteBuffer) {
        self.init(buffer.readableBytesView)
    }
}
