import Foundation
import Hummingbird
import Verification

extension AdminController {
    func registerDevices(on router: Router<FrontEndRequestContext>) {
        router.get("/admin/devices") { request, context in try await self.devices(request, context) }
        router.get("/admin/dead-letters") { request, context in try await self.deadLetters(request, context) }
        router.post("/admin/dead-letters/requeue") { request, context in try await self.requeue(request, context) }
    }

    /// GET /admin/devices: the hub's devices, online or not, and what their agents report.
    func devices(_ request: Request, _ context: FrontEndRequestContext) async throws -> Response {
        let caller = try await caller(request, context)
        let accounts = try await state.users.list()
        var rows: [AdminDevicesView.Row] = []
        var unavailable: String?
        if let admin {
            do {
                for report in try await admin.deviceReports(limit: 1000) {
                    let users = accounts.filter { $0.deviceId == report.deviceId }.map(\.username)
                    rows.append(Self.row(report, users: users))
                }
            } catch {
                unavailable = "The hub did not list its devices: \(error.description)"
            }
        } else {
            unavailable = "This front-end's backend cannot list the hub's devices."
        }
        let view = AdminDevicesView(frame: frame(caller, "devices", request), devices: rows, hasDevices: !rows.isEmpty, unavailable: unavailable)
        return state.renderer.page("admin-devices", view)
    }

    static func row(_ report: DeviceReport, users: [String]) -> AdminDevicesView.Row {
        let problems = report.problems
        return AdminDevicesView.Row(
            deviceId: report.deviceId, connected: report.connected, stateText: report.connected ? "Online" : "Offline",
            lastActivity: report.lastActivity ?? "-",
            modules: report.modules.isEmpty ? "none" : report.modules.map { "\($0.moduleId) (\($0.connected ? "online" : "offline"))" }.joined(separator: ", "),
            model: report.model.map { $0 + (report.modelError.map { " (not loaded: \($0))" } ?? "") } ?? "not reported",
            camera: report.cameraWorking.map { $0 ? "working" : "down" + (report.cameraProblem.map { ": \($0)" } ?? "") } ?? "not reported",
            queues: [report.requestsQueue, report.responsesContainer].compactMap { $0 }.joined(separator: ", "),
            settings: report.settingsRevision.map { "revision \($0)" + (report.settingsAppliedAt.map { ", applied \($0)" } ?? "") } ?? "command-line settings",
            ready: problems.isEmpty && report.ready, readinessText: problems.isEmpty ? (report.ready ? "Ready" : "Not ready") : problems.joined(separator: "; "),
            users: users.isEmpty ? "-" : users.joined(separator: ", "))
    }

    /// The devices whose dead letters the page shows: those the accounts sign in with, or the one asked for.
    private func deadLetterDevices(_ request: Request) async throws -> [String] {
        if let asked = request.uri.queryParameters.get("device"), let device = try? AccountPolicy.validDeviceId(asked) {
            return [device]
        }
        let devices = try await state.users.devices().map(\.deviceId)
        return Array(Set(devices)).sorted()
    }

    /// GET /admin/dead-letters: each device's dead-lettered requests (up to 32 each).
    func deadLetters(_ request: Request, _ context: FrontEndRequestContext) async throws -> Response {
        let caller = try await caller(request, context)
        var devices: [AdminDeadLettersView.Device] = []
        for deviceId in try await deadLetterDevices(request).prefix(50) {
            let queueName = DeviceStorageNames(deviceId: deviceId).deadLetterQueue
            guard let queue = admin?.deadLetterQueue(forDevice: deviceId) else {
                devices.append(.init(deviceId: deviceId, queueName: queueName, letters: [], hasLetters: false, moreText: nil,
                                     unavailable: "This front-end has no storage account to read queues with."))
                continue
            }
            do {
                let listed = try await queue.list()
                let letters = (listed?.letters ?? []).map { letter in
                    AdminDeadLettersView.Letter(
                        id: letter.id, reason: letter.reason ?? "(not an agent record)", detail: String((letter.detail ?? "").prefix(200)),
                        deliveries: letter.dequeueCount.map(String.init) ?? "-", deadLetteredOn: letter.deadLetteredOn ?? letter.insertedOn,
                        requeueable: letter.text != nil)
                }
                let more = (listed?.total ?? 0) - letters.count
                devices.append(.init(deviceId: deviceId, queueName: queue.deadLetters.queueName, letters: letters, hasLetters: !letters.isEmpty,
                                     moreText: more > 0 ? "… and about \(more) more (the page shows the oldest \(letters.count))." : nil, unavailable: nil))
            } catch {
                devices.append(.init(deviceId: deviceId, queueName: queueName, letters: [], hasLetters: false, moreText: nil,
                                     unavailable: "Storage did not answer: \(error)"))
            }
        }
        let view = AdminDeadLettersView(frame: frame(caller, "dead-letters", request), devices: devices, hasDevices: !devices.isEmpty)
        return state.renderer.page("admin-dead-letters", view)
    }

    /// POST /admin/dead-letters/requeue with `device` and `id` (or `all`): back on the requests queue.
    func requeue(_ request: Request, _ context: FrontEndRequestContext) async throws -> Response {
        guard let (caller, form) = try await post(request, context) else { return expiredForm() }
        guard let device = try? AccountPolicy.validDeviceId(form.device ?? ""), let queue = admin?.deadLetterQueue(forDevice: device) else {
            return state.renderer.message("Nothing requeued", "Name a device whose dead letters this front-end can reach.", status: .badRequest)
        }
        let ids: Set<String>?
        if form.all == "1" {
            ids = nil
        } else if let id = form.id, !id.isEmpty, id.count <= 100 {
            ids = [id]
        } else {
            return state.renderer.message("Nothing requeued", "Choose a dead letter to requeue, or all of a device's.", status: .badRequest)
        }
        let result: DeadLetterQueue.Requeued
        do {
            result = try await queue.requeue(ids: ids)
        } catch {
            state.logger.error("cannot requeue dead letters of \(device): \(error)")
            return state.renderer.message("Nothing requeued", "Storage did not answer: \(error)", status: .badGateway)
        }
        let moved = result.moved.map { "\($0.id) (\($0.reason ?? "?"))" }.joined(separator: ", ")
        await record(caller, result.moved.isEmpty ? "dead-letter-requeue-none" : "dead-letter-requeued", deviceId: device,
                     detail: "\(result.moved.count) to \(queue.requests.queueName)" + (moved.isEmpty ? "" : ": \(moved)")
                        + (result.missing.isEmpty ? "" : "; not found: \(result.missing.joined(separator: ", "))"))
        let encoded = device.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? ""
        let back = "/admin/dead-letters?device=\(encoded)&done=\(result.moved.isEmpty ? "nothing" : "requeued")"
        return .seeOther(back)
    }
}
