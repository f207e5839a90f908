import AzureStorage
import IoTHub

extension AzureVerificationBackend: AdminBackend {
    func deviceReports(limit: Int) async throws(VerificationBackendError) -> [DeviceReport] {
        do {
            let devices = try await hub.listDevices(top: max(1, min(limit, 1000)))
            var reports: [DeviceReport] = []
            for device in devices.sorted(by: { $0.deviceId < $1.deviceId }) {
                // One device's twin or modules failing to read leaves its line, without them.
                let twin = try? await hub.getTwin(deviceId: device.deviceId)
                let modules = (try? await hub.listModules(deviceId: device.deviceId)) ?? []
                reports.append(DeviceReport(identity: device, twin: twin, modules: modules.sorted { $0.moduleId < $1.moduleId }))
            }
            return reports
        } catch {
            throw Self.map(error)
        }
    }

    func deadLetterQueue(forDevice deviceId: String) -> DeadLetterQueue? {
        storage.map { DeadLetterQueue(account: $0, deviceId: deviceId) }
    }
}
