import AzureStorage
import EdgeFactorSupport
import Foundation
import IoTHub
import Logging
import Verification
import Vision

/// Requests whose deadline passed are answered "not found"; enrolments whose capture ended finish.
extension DeviceAgent {
    var nextDeadline: Date? {
        [book.nextDeadline, enrolment?.captureEnds].compactMap { $0 }.min()
    }

    nonisolated func deadlineLoop() async {
        while !Task.isCancelled {
            if let next = await nextDeadline {
                let wait = next.timeIntervalSinceNow
                if wait > 0 { await deadlineBell.wait(upTo: .milliseconds(Int(min(wait, 3600) * 1000) + 1)) }
            } else {
                await deadlineBell.wait(upTo: .seconds(3600))
            }
            await expireDue()
        }
    }

    private func expireDue() {
        for entry in book.expire(now: Date()) {
            jobSink.yield(.notFound(entry))
        }
        finishEnrolmentIfOver(now: Date())
    }
}
