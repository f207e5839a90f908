import Foundation
import Logging
import ServiceLifecycle
import Verification

/// Carries out each enrolment the pages start (through ``ObjectEnroller``), and sends the
/// `RemoveObject` of each object removed from the pages, as a ServiceLifecycle service.
struct EnrolmentWorker: Service {
    let tracker: EnrolmentTracker
    let enroller: ObjectEnroller
    let audit: AuditLog
    let logger: Logger

    func run() async throws {
        await cancelWhenGracefulShutdown {
            await withDiscardingTaskGroup { group in
                group.addTask {
                    await withDiscardingTaskGroup { jobs in
                        for await job in tracker.jobs {
                            jobs.addTask { await process(job) }
                        }
                    }
                }
                group.addTask {
                    await withDiscardingTaskGroup { removals in
                        for await object in tracker.removals {
                            removals.addTask { await remove(object) }
                        }
                    }
                }
            }
        }
    }

    /// Runs one enrolment to its end, telling the tracker each change.
    func process(_ job: PendingEnrolment) async {
        let tracker = self.tracker
        let requestId = job.requestId
        let final = await enroller.run(job.request, username: job.username) { status in
            await tracker.update(requestId, to: status)
        }
        await tracker.update(requestId, to: final)
        logger.info(
            "enrolment finished",
            metadata: ["requestId": "\(requestId)", "user": "\(job.username)", "phase": "\(final.phase.rawValue)", "reason": "\(final.reason ?? "")"]
        )
        await record(AuditEvent(
            kind: .objectChanged, username: job.username, address: job.address, requestId: requestId, deviceId: job.request.deviceId,
            className: job.request.objectName, outcome: final.phase == .enrolled ? "enrolled" : "enrol-\(final.phase.rawValue)",
            detail: final.object.map { "template \($0.templateId)" } ?? final.reason
        ))
    }

    /// Asks the device to erase a removed object's template; a failure is logged only.
    func remove(_ object: PersonalObject) async {
        if let problem = await enroller.sendRemoval(of: object) {
            logger.warning("the device was not told to erase a removed object", metadata: ["template": "\(object.templateId)", "device": "\(object.deviceId)", "why": "\(problem)"])
        } else {
            logger.info("removal sent to the device", metadata: ["template": "\(object.templateId)", "device": "\(object.deviceId)"])
        }
    }

    private func record(_ event: AuditEvent) async {
        do { try await audit.record(event) } catch { logger.error("cannot write the audit log: \(error)") }
    }
}
