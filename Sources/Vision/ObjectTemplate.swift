public import Foundation

/// A personal object as the camera saw it at enrolment: several unit-length view embeddings, the
/// empty scene's when it was seen, and the model they came from. Matching needs no training: a
/// frame's score is its highest cosine similarity to any view.
public struct ObjectTemplate: Sendable, Equatable {
    /// Most views a template may hold.
    public static let maximumViews = 64
    /// Most empty-scene embeddings a template may hold.
    public static let maximumEmptyScene = 16
    /// Longest embedding a template may hold.
    public static let maximumDimension = 8192

    /// 32 lowercase hex digits.
    public var id: String
    /// The person's name for the object.
    public var name: String
    public var createdAt: Date
    public var model: ModelIdentity
    public var views: [Embedding]
    /// Embeddings of the scene without the object (may be empty).
    public var emptyScene: [Embedding]
    /// Free-form labels kept with the template (the device stores the owner's account and device here).
    public var metadata: [String: String]

    public init(
        id: String, name: String, createdAt: Date, model: ModelIdentity, views: [Embedding],
        emptyScene: [Embedding] = [], metadata: [String: String] = [:]
    ) throws(TemplateError) {
        self.id = id
        self.name = name
        self.createdAt = createdAt
        self.model = model
        self.views = views
        self.emptyScene = emptyScene
        self.metadata = metadata
        try validate()
    }

    public var dimension: Int { views.first?.dimension ?? 0 }

    /// The frame's score: its highest similarity to any view.
    public func similarity(_ embedding: Embedding) -> Double {
        views.reduce(-1) { max($0, $1.similarity(to: embedding)) }
    }

    /// The frame's highest similarity to the empty scene, nil when none was recorded.
    public func emptySceneSimilarity(_ embedding: Embedding) -> Double? {
        emptyScene.isEmpty ? nil : emptyScene.reduce(-1) { max($0, $1.similarity(to: embedding)) }
    }

    /// Refuses a classifier whose embeddings are not comparable with this template's.
    public func checkCompatible(with identity: ModelIdentity) throws(TemplateError) {
        guard identity.sha256 == model.sha256, identity.embeddingOutput == model.embeddingOutput,
              identity.embeddingDimension == model.embeddingDimension, identity.preprocessing == model.preprocessing
        else { throw .modelMismatch(template: model.description, model: identity.description) }
    }

    func validate() throws(TemplateError) {
        let hex = id.unicodeScalars.allSatisfy { ("0"..."9").contains($0) || ("a"..."f").contains($0) }
        guard id.count == 32, hex else { throw .malformed("template id must be 32 lowercase hex digits") }
        guard (1...100).contains(name.count), !name.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) else {
            throw .malformed("name must be 1–100 printable characters")
        }
        guard (1...Self.maximumViews).contains(views.count) else { throw .malformed("a template holds 1–\(Self.maximumViews) views, not \(views.count)") }
        guard emptyScene.count <= Self.maximumEmptyScene else { throw .malformed("at most \(Self.maximumEmptyScene) empty-scene embeddings") }
        let dimension = views[0].dimension
        guard (1...Self.maximumDimension).contains(dimension) else { throw .malformed("embedding length \(dimension) is out of range") }
        guard (views + emptyScene).allSatisfy({ $0.dimension == dimension }) else { throw .malformed("embeddings of different lengths") }
        guard model.embeddingDimension == dimension else {
            throw .malformed("embeddings of length \(dimension), but the model's embedding has \(model.embeddingDimension ?? 0)")
        }
        guard metadata.count <= 16, metadata.allSatisfy({ $0.key.count <= 64 && $0.value.count <= 256 }) else {
            throw .malformed("at most 16 metadata entries of 64-character keys and 256-character values")
        }
    }
}
