import Crypto
public import Foundation

/// The template file: `EFOBJTPL`, a little-endian UInt16 version, a UInt32 header length, the JSON
/// header, the float32 embeddings (views, then empty scene), and a SHA-256 of everything before it.
/// The digest catches truncation and accidental damage; the device also encrypts the whole file
/// with a key from its secrets store, which makes deliberate changes fail too.
extension ObjectTemplate {
    /// The format this build writes and reads.
    public static let formatVersion = 1
    /// Files larger than this are refused before anything is parsed.
    public static let maximumFileSize = 4 << 20
    static let magic = Array("EFOBJTPL".utf8)
    static let maximumHeaderSize = 16 << 10

    private struct Header: Codable {
        var id: String
        var name: String
        var createdAt: Date
        var model: ModelIdentity
        var views: Int
        var emptyScene: Int
        var dimension: Int
        var metadata: [String: String]
    }

    /// The template as file bytes.
    public func encoded() -> Data {
        let header = Header(id: id, name: name, createdAt: createdAt, model: model, views: views.count,
                            emptyScene: emptyScene.count, dimension: dimension, metadata: metadata)
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        encoder.dateEncodingStrategy = .iso8601
        // Encoding plain strings, numbers and a date cannot fail.
        let headerBytes = (try? encoder.encode(header)) ?? Data()
        var out = Data(Self.magic)
        out.append(littleEndian: UInt16(Self.formatVersion))
        out.append(littleEndian: UInt32(headerBytes.count))
        out.append(headerBytes)
        for embedding in views + emptyScene {
            for value in embedding.values { out.append(littleEndian: value.bitPattern) }
        }
        out.append(contentsOf: SHA256.hash(data: out))
        return out
    }

    /// Parses and checks template file bytes.
    public init(decoding data: Data) throws(TemplateError) {
        guard data.count <= Self.maximumFileSize else { throw .malformed("\(data.count) bytes exceeds the \(Self.maximumFileSize)-byte limit") }
        let bytes = [UInt8](data)
        let fixed = Self.magic.count + 2 + 4
        guard bytes.starts(with: Self.magic) else { throw .malformed("not an EdgeFactor template (wrong signature bytes)") }
        guard bytes.count >= fixed + SHA256.byteCount else { throw .malformed("file of \(bytes.count) bytes is too short to be a template") }
        var reader = ByteReader(bytes: bytes, offset: Self.magic.count)
        let version = Int(reader.uint16())
        guard version == Self.formatVersion else { throw .unsupportedVersion(version) }
        let body = bytes[0..<(bytes.count - SHA256.byteCount)]
        guard Array(SHA256.hash(data: body)) == Array(bytes[(bytes.count - SHA256.byteCount)...]) else {
            throw .malformed("checksum mismatch: the file was truncated or altered")
        }
        let headerLength = Int(reader.uint32())
        guard headerLength <= Self.maximumHeaderSize, fixed + headerLength <= body.count else {
            throw .malformed("header length \(headerLength) is out of range")
        }
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        let header: Header
        do { header = try decoder.decode(Header.self, from: Data(bytes[fixed..<(fixed + headerLength)])) } catch {
            throw .malformed("unreadable header")
        }
        guard (1...Self.maximumViews).contains(header.views), (0...Self.maximumEmptyScene).contains(header.emptyScene),
              (1...Self.maximumDimension).contains(header.dimension)
        else { throw .malformed("header counts out of range") }
        let floatCount = (header.views + header.emptyScene) * header.dimension
        guard body.count - fixed - headerLength == floatCount * 4 else {
            throw .malformed("the header announces \(floatCount) values but the file holds \((body.count - fixed - headerLength) / 4)")
        }
        reader.offset = fixed + headerLength
        var embeddings: [Embedding] = []
        for _ in 0..<(header.views + header.emptyScene) {
            var raw = [Float](repeating: 0, count: header.dimension)
            for i in raw.indices { raw[i] = Float(bitPattern: reader.uint32()) }
            let norm = raw.reduce(Float(0)) { $0 + $1 * $1 }
            guard norm.isFinite, abs(norm - 1) < 1e-3, let embedding = Embedding(normalizing: raw) else {
                throw .malformed("an embedding is not of unit length")
            }
            embeddings.append(embedding)
        }
        try self.init(
            id: header.id, name: header.name, createdAt: header.createdAt, model: header.model,
            views: Array(embeddings[0..<header.views]), emptyScene: Array(embeddings[header.views...]), metadata: header.metadata)
    }

    /// Reads a template file (at most ``maximumFileSize`` bytes are read).
    public init(contentsOf url: URL) throws {
        let handle = try FileHandle(forReadingFrom: url)
        defer { try? handle.close() }
        let data = try handle.read(upToCount: Self.maximumFileSize + 1) ?? Data()
        try self.init(decoding: data)
    }
}

/// Little-endian reads from a buffer whose length was checked beforehand.
private struct ByteReader {
    let bytes: [UInt8]
    var offset: Int

    mutating func uint16() -> UInt16 {
        defer { offset += 2 }
        return UInt16(bytes[offset]) | UInt16(bytes[offset + 1]) << 8
    }

    mutating func uint32() -> UInt32 {
        defer { offset += 4 }
        return (0..<4).reduce(UInt32(0)) { $0 | UInt32(bytes[offset + $1]) << (8 * UInt32($1)) }
    }
}

extension Data {
    fileprivate mutating func append<T: FixedWidthInteger>(littleEndian value: T) {
        Swift.withUnsafeBytes(of: value.littleEndian) { append(contentsOf: $0) }
    }
}
