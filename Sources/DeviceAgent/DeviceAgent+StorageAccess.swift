import AzureStorage
import Foundation
import Logging
import Verification

extension DeviceAgent {
    /// Replaces the agent's storage grant with the one the front-end sent, and the queue and
    /// container clients with ones that use it. Requests being answered keep their clients: the
    /// old grant works until it expires, long after they are done.
    func renewStorage(_ renewal: StorageAccessRenewal, log: Logger) {
        let grant: StorageGrant
        do {
            grant = try StorageGrant.decode(try renewal.grantJSON(secret: configuration.deviceSecret))
            try storage.renew(with: grant, covering: (
                queues: [queue.queueName, deadLetters.queueName], containers: [container.containerName]))
        } catch {
            log.error("refused a storage renewal", metadata: ["error": "\(error)"])
            metrics.rejected(.invalidField)
            return
        }
        let access = storage.current
        do {
            queue = QueueClient(connectionString: try access.queue(queue.queueName), queueName: queue.queueName, retry: retry)
            deadLetters = QueueClient(connectionString: try access.queue(deadLetters.queueName), queueName: deadLetters.queueName, retry: retry)
            let renewed = BlobContainerClient(connectionString: try access.container(container.containerName), containerName: container.containerName, retry: retry)
            container = renewed
            publisher = ResultPublisher(deviceId: deviceId, deviceSecret: configuration.deviceSecret, container: renewed, jpegQuality: configuration.jpegQuality)
        } catch {
            // Checked by `renew(with:covering:)`; kept as a log line rather than a trap.
            log.error("the renewed grant lost a resource it was checked for", metadata: ["error": "\(error)"])
        }
        drainingQueues = drainingQueues.compactMap { old in
            (try? access.queue(old.queueName)).map { QueueClient(connectionString: $0, queueName: old.queueName, retry: retry) }
        }
        log.info("storage grant renewed", metadata: ["until": "\(StorageDate.iso8601(grant.expiresOn))"])
    }
}
