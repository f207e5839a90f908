import Crypto
import Foundation

/// What makes two embeddings comparable: the same model file (by SHA-256), the same output and the
/// same pre-processing. A template records it, and a classifier with another identity refuses it.
public struct ModelIdentity: Codable, Sendable, Hashable, CustomStringConvertible {
    /// The model's file name (for messages; the digest is what is compared).
    public var fileName: String
    /// Lowercase hex SHA-256 of the model file.
    public var sha256: String
    /// The output read as the embedding, nil when the model has none.
    public var embeddingOutput: String?
    /// The embedding's length, nil when the model has none.
    public var embeddingDimension: Int?
    /// The pre-processing in use, as ``Preprocessing/description`` writes it.
    public var preprocessing: String

    public init(fileName: String, sha256: String, embeddingOutput: String?, embeddingDimension: Int?, preprocessing: String) {
        self.fileName = fileName
        self.sha256 = sha256
        self.embeddingOutput = embeddingOutput
        self.embeddingDimension = embeddingDimension
        self.preprocessing = preprocessing
    }

    init(modelPath: String, embeddingOutput: TensorDescription?, preprocessing: Preprocessing) throws(ClassifierError) {
        let dimension = embeddingOutput.map { $0.shape.dropFirst().filter { $0 > 0 }.reduce(1, *) }
        self.init(
            fileName: URL(fileURLWithPath: modelPath).lastPathComponent, sha256: try Self.digest(ofFile: modelPath),
            embeddingOutput: embeddingOutput?.name, embeddingDimension: dimension, preprocessing: preprocessing.description)
    }

    func with(preprocessing: Preprocessing) -> ModelIdentity {
        var copy = self
        copy.preprocessing = preprocessing.description
        return copy
    }

    /// The first 12 hex digits of the digest, enough to tell models apart in a message.
    public var shortDigest: String { String(sha256.prefix(12)) }

    public var description: String {
        "\(fileName) (sha256 \(shortDigest)…, embedding \(embeddingOutput ?? "none")\(embeddingDimension.map { "[\($0)]" } ?? ""), \(preprocessing))"
    }

    /// SHA-256 of a file, read in 1 MiB chunks.
    static func digest(ofFile path: String) throws(ClassifierError) -> String {
        guard let handle = FileHandle(forReadingAtPath: path) else { throw .modelNotFound(path) }
        defer { try? handle.close() }
        var hasher = SHA256()
        do {
            while let chunk = try handle.read(upToCount: 1 << 20), !chunk.isEmpty { hasher.update(data: chunk) }
        } catch {
            throw .unexpectedModel("cannot read \(path): \(error.localizedDescription)")
        }
        return hasher.finalize().map { String(format: "%02x", $0) }.joined()
    }
}
