/// A camera that can be pointed at one of several sources: the demo's stand-in for a person moving
/// one object or another in front of a real camera, and the tests' way to change what the camera
/// sees without restarting the agent.
public actor SwitchableFrameSource: FrameSource {
    private var sources: [String: any FrameSource]
    /// The names, in the order given.
    public let names: [String]
    public private(set) var current: String

    /// - Parameter sources: named sources, the first one selected.
    public init(_ sources: [(name: String, source: any FrameSource)]) throws {
        guard let first = sources.first else { throw FrameSourceError.unsupported("a switchable camera needs at least one source") }
        self.sources = Dictionary(sources.map { ($0.name, $0.source) }, uniquingKeysWith: { a, _ in a })
        names = sources.map(\.name)
        current = first.name
    }

    /// Points the camera at `name`; false when there is no such source.
    @discardableResult
    public func select(_ name: String) -> Bool {
        guard sources[name] != nil else { return false }
        current = name
        return true
    }

    public func nextFrame() async throws -> RGBImage? {
        guard let source = sources[current] else { return nil }
        return try await source.nextFrame()
    }

    public func close() async {
        for source in sources.values { await source.close() }
    }
}
