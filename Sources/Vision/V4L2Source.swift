/// Placeholder until the V4L2 capture lands.
actor V4L2Source: FrameSource {
    init(devicePath: String, options: FrameSourceOptions) throws {
        throw FrameSourceError.unsupported("V4L2 capture is not built yet")
    }
    func nextFrame() async throws -> RGBImage? { nil }
}
