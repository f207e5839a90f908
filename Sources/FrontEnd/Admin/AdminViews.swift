import Foundation

/// What every admin page shows around its content: who is signed in, the form token, which
/// section is open, and the outcome of the last action.
struct AdminFrame {
    let admin: String
    let csrf: String
    let section: String
    var notice: String?
    var error: String?
    // Stored, not computed: templates see stored properties only.
    let onUsers: Bool
    let onDevices: Bool
    let onAudit: Bool
    let onDeadLetters: Bool

    init(admin: String, csrf: String, section: String, notice: String? = nil, error: String? = nil) {
        self.admin = admin
        self.csrf = csrf
        self.section = section
        self.notice = notice
        self.error = error
        onUsers = section == "users"
        onDevices = section == "devices"
        onAudit = section == "audit"
        onDeadLetters = section == "dead-letters"
    }
}

/// `/admin/users`.
struct AdminUsersView {
    struct Row {
        let username: String
        let url: String
        let roleText: String
        let device: String
        let classes: String
        let objectCount: Int
        let failures: Int
        let locked: Bool
        let lastSignIn: String
        let lockURL: String
        let unlockURL: String
        /// Lock and unlock are offered (not for administrators, see ``AdminAccess``).
        let actionable: Bool
    }
    let frame: AdminFrame
    let users: [Row]
    let hasUsers: Bool
}

/// `/admin/users/{name}`.
struct AdminUserView {
    struct Object {
        let templateId: String
        let name: String
        let thumbnailURL: String
        let createdISO: String
        let createdText: String
        let qualityText: String
        let removeURL: String
    }
    let frame: AdminFrame
    let username: String
    let roleText: String
    let device: String
    let classes: String
    let threshold: String
    let failures: Int
    let locked: Bool
    let lastSignIn: String
    let created: String
    let lockURL: String
    let unlockURL: String
    let passwordURL: String
    let objects: [Object]
    let hasObjects: Bool
    /// Why the account's actions are not offered (an administrator's account), if they are not.
    let refusal: String?
    let actionable: Bool
}

/// `/admin/devices`.
struct AdminDevicesView {
    struct Row {
        let deviceId: String
        let connected: Bool
        let stateText: String
        let lastActivity: String
        let modules: String
        let model: String
        let camera: String
        let queues: String
        let settings: String
        let ready: Bool
        let readinessText: String
        let users: String
    }
    let frame: AdminFrame
    let devices: [Row]
    let hasDevices: Bool
    let unavailable: String?
}

/// `/admin/audit`.
struct AdminAuditView {
    struct Row {
        let atISO: String
        let atText: String
        let kind: String
        let username: String
        let actor: String
        let address: String
        let deviceId: String
        let className: String
        let confidence: String
        let outcome: String
        let detail: String
        let evidenceURL: String?
        let evidenceAlt: String
    }
    let frame: AdminFrame
    let events: [Row]
    let hasEvents: Bool
    let user: String
    let outcome: String
    let from: String
    let to: String
    let page: Int
    let newerURL: String?
    let olderURL: String?
    let problems: String?
}

/// `/admin/dead-letters`.
struct AdminDeadLettersView {
    struct Letter {
        let id: String
        let reason: String
        let detail: String
        let deliveries: String
        let deadLetteredOn: String
        let requeueable: Bool
    }
    struct Device {
        let deviceId: String
        let queueName: String
        let letters: [Letter]
        let hasLetters: Bool
        let moreText: String?
        let unavailable: String?
    }
    let frame: AdminFrame
    let devices: [Device]
    let hasDevices: Bool
}
