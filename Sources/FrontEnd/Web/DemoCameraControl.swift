/// The demo's switchable camera, as `edgefactor demo` offers it to the pages: a newcomer without a
/// camera points it at one sample or another (a black cup, a yellow box, the sample photos) to
/// enrol an object, sign in with it, and see a different object refused.
public protocol DemoCameraControl: Sendable {
    /// The sources the camera can show, e.g. `["cup", "box", "photos"]`.
    var sources: [String] { get }
    /// The source shown now.
    func current() async -> String
    /// Shows `source` from now on.
    ///
    /// - Throws: when `source` is not one of ``sources`` or cannot be opened.
    func select(_ source: String) async throws
}
