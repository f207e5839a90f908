/// The front-end's templates and static files, compiled into the binary (SwiftPM's `embedInCode`
/// resources, generated as `PackageResources`), so that an installed `edgefactor` serves its pages
/// without the build tree's resource bundle.
enum FrontEndResources {
    /// Every Mustache template, by the name pages and partials use (the file name without
    /// `.mustache`). A new template needs a line here and an `embedInCode` entry in Package.swift.
    static let templates: [(name: String, text: [UInt8])] = [
        ("layout", PackageResources.layout_mustache),
        ("login", PackageResources.login_mustache),
        ("verify", PackageResources.verify_mustache),
        ("account", PackageResources.account_mustache),
        ("message", PackageResources.message_mustache),
        ("objects", PackageResources.objects_mustache),
        ("enrol", PackageResources.enrol_mustache),
        ("demo-camera", PackageResources.demo_camera_mustache),
        ("admin-nav", PackageResources.admin_nav_mustache),
        ("admin-users", PackageResources.admin_users_mustache),
        ("admin-user", PackageResources.admin_user_mustache),
        ("admin-devices", PackageResources.admin_devices_mustache),
        ("admin-audit", PackageResources.admin_audit_mustache),
        ("admin-dead-letters", PackageResources.admin_dead_letters_mustache),
    ]

    /// `/static/app.css`.
    static var stylesheet: [UInt8] { PackageResources.app_css }

    /// `/static/app.js`.
    static var script: [UInt8] { PackageResources.app_js }
}
