import AzureStorage
import Foundation
import Observability
import StorageService
import TestSupport
import Testing

@Suite("Storage metrics, readiness and access log")
struct StorageMetricsTests {
    @Test("/metrics counts each operation by status after real requests; /healthz and /readyz answer")
    func countsOperations() async throws {
        try await withServer(configure: { $0.metricsEndpoint = OperatorEndpoint(port: 0) }) { server in
            let port = try #require(server.server.metricsPort, "the metrics endpoint did not start")
            let before = try await Self.scrape(port)
            let queue = QueueClient(connectionString: server.connection, queueName: uniqueName("metrics"))
            try await queue.create()
            for index in 0..<3 { _ = try await queue.send("message \(index)") }
            _ = try await queue.receive()
            // Signed with another key: refused, and still counted under its operation.
            let wrongKey = StorageConnectionString(
                accountName: server.connection.accountName, blobEndpoint: server.connection.blobEndpoint,
                queueEndpoint: server.connection.queueEndpoint,
                credential: .sharedKey(try StorageSharedKeyCredential(accountName: server.connection.accountName, accountKey: Data(repeating: 7, count: 64).base64EncodedString())))
            await #expect(throws: StorageError.self) { try await QueueClient(connectionString: wrongKey, queueName: queue.queueName).send("x") }

            let after = try await Self.scrape(port)
            let requests = "edgefactor_storage_http_requests_total"
            func delta(_ labels: [String: String]) -> Double {
                (after.value(requests, labels) ?? 0) - (before.value(requests, labels) ?? 0)
            }
            #expect(delta(["operation": "create-queue", "status": "201"]) == 1)
            #expect(delta(["operation": "put-message", "status": "201"]) == 3)
            #expect(delta(["operation": "get-messages", "status": "200"]) == 1)
            #expect(delta(["operation": "put-message", "status": "403"]) == 1)
            #expect(after.types[requests] == "counter")
            #expect(after.types["edgefactor_storage_http_request_duration_seconds"] == "histogram")
            #expect(after.value("edgefactor_storage_http_request_duration_seconds_count", ["operation": "put-message"]) == 4)
            // Labels are operations, never paths.
            #expect(after.samples.allSatisfy { $0.labels["operation"].map { !$0.contains("/") } ?? true })

            #expect(try await RawHTTP.get(port: port, "/healthz").status == 200)
            let ready = try await RawHTTP.get(port: port, "/readyz")
            #expect(ready.status == 200)
            #expect(ready.body == #"{"ready":true,"listening":true,"database":true}"#)
        }
    }

    @Test("a request that names no operation is counted as unknown")
    func unknownOperation() async throws {
        try await withServer { server in
            let response = try await RawHTTP.exchange(
                port: server.server.queuePort, "PATCH /devstoreaccount1/q HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
            #expect(response.status >= 400)
            let exposition = try PrometheusText(parsing: server.server.metricsText())
            #expect(exposition.value("edgefactor_storage_http_requests_total", ["operation": "unknown", "status": "\(response.status)"]) == 1)
        }
    }

    @Test("the access log has one line per request, and never a SAS signature")
    func accessLogHasNoSignature() async throws {
        let log = CapturedLog()
        try await withServer(configure: { $0.accessLog = true; $0.logger = log.logger(label: "storage") }) { server in
            let container = BlobContainerClient(connectionString: server.connection, containerName: uniqueName("logs"))
            try await container.create()
            let blob = container.blob("evidence.jpg")
            try await blob.upload([1, 2, 3], contentType: "image/jpeg")
            let url = try blob.sasURL(permissions: .readOnly, expiresOn: Date(timeIntervalSinceNow: 300))
            #expect(url.absoluteString.contains("sig="))
            #expect(Array(try await BlobClient(sasURL: url).download().data) == [1, 2, 3])
            let queue = QueueClient(connectionString: server.connection, queueName: uniqueName("logs"))
            try await queue.create()
            let token = try queue.sasToken(permissions: [.add], expiresOn: Date(timeIntervalSinceNow: 300))
            let sasConnection = StorageConnectionString(
                accountName: server.connection.accountName, blobEndpoint: server.connection.blobEndpoint,
                queueEndpoint: server.connection.queueEndpoint, credential: .sharedAccessSignature(token))
            _ = try await QueueClient(connectionString: sasConnection, queueName: queue.queueName).send("hello")
        }
        let access = log.all.filter { $0.metadata["duration_ms"] != nil }
        #expect(access.count == 5, "create container, put blob, get blob, create queue, put message: \(access.map(\.message))")
        #expect(access.contains { $0.message.hasPrefix("GET /devstoreaccount1/") && $0.message.hasSuffix("/evidence.jpg 200") && $0.metadata["operation"] == "get-blob" })
        #expect(access.contains { $0.message.hasSuffix("/messages 201") && $0.metadata["operation"] == "put-message" })
        #expect(log.all.allSatisfy { !$0.text.contains("sig=") }, "a log line carries a SAS signature")
    }

    static func scrape(_ port: Int) async throws -> PrometheusText {
        let response = try await RawHTTP.get(port: port, "/metrics")
        #expect(response.status == 200)
        return try PrometheusText(parsing: response.body)
    }
}
