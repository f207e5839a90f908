import Foundation
import FrontEnd
import Vision

/// The demo's camera for a newcomer without one: set-up's two filmed objects (a black cup, a yellow
/// box) and the sample photos, switched from the demo page, so that one can enrol the cup, sign in
/// with it, then point the camera at the box and see it refused.
struct DemoCamera: DemoCameraControl {
    let camera: SwitchableFrameSource
    let sources: [String]

    /// The switchable camera over what set-up installed under `home` (`objects/cup`, `objects/box`,
    /// `photos`); nil when the object frames are missing (the photos alone are then the camera).
    static func make(home: URL, photos: URL, options: FrameSourceOptions) throws -> DemoCamera? {
        let objects = home.appendingPathComponent("objects", isDirectory: true)
        // The photos first: the demo account's class (an espresso) is among them.
        var named: [(name: String, source: any FrameSource)] = [("photos", try FrameSources.open(photos.path, options: options))]
        for name in ["cup", "box"] {
            let folder = objects.appendingPathComponent(name, isDirectory: true)
            guard FileManager.default.fileExists(atPath: folder.path) else { return nil }
            named.append((name, try FrameSources.open(folder.path, options: options)))
        }
        return DemoCamera(camera: try SwitchableFrameSource(named), sources: named.map(\.name))
    }

    func current() async -> String { await camera.current }

    func select(_ source: String) async throws {
        guard await camera.select(source) else {
            throw DemoCameraError(description: "no demo camera source '\(source.prefix(40))': choose one of \(sources.joined(separator: ", "))")
        }
    }
}

struct DemoCameraError: Error, CustomStringConvertible {
    var description: String
}
