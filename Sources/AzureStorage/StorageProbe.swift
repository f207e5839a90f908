import AsyncHTTPClient
public import Foundation
import NIOCore
import NIOHTTP1

/// Checks that storage answers and accepts the credentials in use, and how far this machine's
/// clock is from the service's, for `edgefactor check`.
public enum StorageProbe {
    /// What a probe found.
    public struct Finding: Sendable {
        /// Whether the service answered at all.
        public var reachable: Bool
        /// The service's answer to a call the credentials allow (nil: it succeeded).
        public var refusal: StorageError?
        /// This clock minus the service's (from its `Date` header), when it sent one.
        public var clockOffset: TimeInterval?
    }

    /// Reads the queue's first message without taking it (needs read permission), or, for an
    /// add-only grant, asks for the queue's metadata and accepts Azure's "permission mismatch"
    /// answer as proof that the signature was good.
    public static func queue(_ queue: QueueClient, addOnly: Bool) async -> Finding {
        var finding = Finding(reachable: false, refusal: nil, clockOffset: await clockOffset(queue.url))
        do {
            if addOnly { _ = try await queue.exists() } else { _ = try await queue.peek(maxMessages: 1) }
            finding.reachable = true
        } catch let error as StorageError {
            finding.reachable = error.status != 0
            let permissionOnly = addOnly && error.status == 403 && error.code == .authorizationPermissionMismatch
            if !permissionOnly { finding.refusal = error }
        } catch {
            finding.refusal = StorageError(status: 0, code: nil, message: "\(error)")
        }
        return finding
    }

    /// Reads a blob that does not exist in `container`: 404 proves the credentials may read there.
    public static func container(_ container: BlobContainerClient) async -> Finding {
        var finding = Finding(reachable: false, refusal: nil, clockOffset: nil)
        do {
            _ = try await container.blob("edgefactor-check/\(UUID().uuidString.lowercased())").download(range: 0...0)
            finding.reachable = true
        } catch let error as StorageError {
            finding.reachable = error.status != 0
            if error.status != 404 { finding.refusal = error }
        } catch {
            finding.refusal = StorageError(status: 0, code: nil, message: "\(error)")
        }
        return finding
    }

    /// This clock minus the `Date` of any answer from `url` (nil when none came).
    public static func clockOffset(_ url: URL) async -> TimeInterval? {
        var request = HTTPClientRequest(url: url.absoluteString)
        request.method = .HEAD
        let https = url.scheme?.lowercased() == "https"
        if https, let tls = StorageTrust.tlsConfiguration { request.tlsConfiguration = tls }
        let sent = Date()
        guard let response = try? await (https ? StorageTrust.httpsClient : HTTPClient.shared).execute(request, timeout: .seconds(10)),
              let header = response.headers.first(name: "Date"), let date = StorageDate.parseRFC1123(header)
        else { return nil }
        let received = Date()
        // The header has whole seconds: compare with the middle of the exchange.
        return sent.addingTimeInterval(received.timeIntervalSince(sent) / 2).timeIntervalSince(date)
    }
}
