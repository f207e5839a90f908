import ArgumentParser

/// `edgefactor classify`: Classify images, videos or camera frames with an ONNX model.
struct ClassifyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "classify", abstract: "Classify images, videos or camera frames with an ONNX model.")

    func run() async throws {
        throw NotBuiltYet(command: "classify")
    }
}
