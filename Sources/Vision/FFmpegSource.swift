/// Placeholder until the ffmpeg source lands.
actor FFmpegSource: FrameSource {
    init(input: String, options: FrameSourceOptions, isStream: Bool) throws {
        throw FrameSourceError.unsupported("video input is not built yet")
    }
    func nextFrame() async throws -> RGBImage? { nil }
}
