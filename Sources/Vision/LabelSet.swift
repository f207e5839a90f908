import Foundation

/// Class names of a classifier, in output order.
///
/// Reads jetson-inference's `labels.txt` (one class per line, optionally led by a WordNet synset
/// id such as `n01440764 tench, Tinca tinca`) and JSON maps (`{"0": "tench, Tinca tinca", ...}`)
/// or JSON arrays of names.
public struct LabelSet: Sendable, Equatable {
    /// The full label of each class (without the synset id), e.g. `tabby, tabby cat`.
    public let labels: [String]
    /// The synset id of each class where the file gave one.
    public let synsets: [String?]

    /// Labels files larger than this are refused (the biggest real ones are a few hundred KB).
    public static let maximumFileSize = 16 << 20

    public var count: Int { labels.count }

    public init(labels: [String], synsets: [String?]? = nil) {
        self.labels = labels
        self.synsets = synsets ?? Array(repeating: nil, count: labels.count)
    }

    /// Numbered placeholders (`class 0` ...) for a model that comes without labels.
    public static func numbered(_ count: Int) -> LabelSet {
        LabelSet(labels: (0..<max(count, 0)).map { "class \($0)" })
    }

    /// Reads a labels file (text or JSON, told apart by its first non-blank character).
    public init(contentsOf path: String) throws(ClassifierError) {
        let data: Data
        do {
            let attributes = try FileManager.default.attributesOfItem(atPath: path)
            if let size = attributes[.size] as? Int, size > LabelSet.maximumFileSize {
                throw ClassifierError.labelsUnreadable(path: path, reason: "file is \(size) bytes, more than \(LabelSet.maximumFileSize)")
            }
            data = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch let error as ClassifierError {
            throw error
        } catch {
            throw .labelsUnreadable(path: path, reason: "cannot read it (\(error.localizedDescription))")
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw .labelsUnreadable(path: path, reason: "not UTF-8 text")
        }
        do {
            self = try LabelSet(parsing: text)
        } catch {
            throw .labelsUnreadable(path: path, reason: error.reason)
        }
    }

    /// Parses labels text or JSON.
    public init(parsing text: String) throws(LabelParseError) {
        let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !trimmed.isEmpty else { throw LabelParseError(reason: "no labels in it") }
        if trimmed.hasPrefix("{") || trimmed.hasPrefix("[") {
            self = try LabelSet.parseJSON(trimmed)
        } else {
            self = LabelSet.parseLines(text)
        }
    }

    private static func parseLines(_ text: String) -> LabelSet {
        var lines = text.split(omittingEmptySubsequences: false, whereSeparator: { $0 == "\n" || $0 == "\r\n" })
            .map { $0.trimmingCharacters(in: .whitespaces) }
        while lines.last?.isEmpty == true { lines.removeLast() }
        var labels: [String] = []
        var synsets: [String?] = []
        for line in lines {
            if let (synset, label) = splitSynset(line) {
                synsets.append(synset)
                labels.append(label)
            } else {
                synsets.append(nil)
                labels.append(line)
            }
        }
        return LabelSet(labels: labels, synsets: synsets)
    }

    /// `n01440764 tench, Tinca tinca` -> ("n01440764", "tench, Tinca tinca").
    private static func splitSynset(_ line: String) -> (String, String)? {
        let utf8 = Array(line.utf8)
        guard utf8.count > 10, utf8[0] == UInt8(ascii: "n"), utf8[9] == UInt8(ascii: " ") || utf8[9] == UInt8(ascii: "\t"),
              utf8[1...8].allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }) else { return nil }
        let synset = String(decoding: utf8[0...8], as: UTF8.self)
        let label = String(decoding: utf8[10...], as: UTF8.self).trimmingCharacters(in: .whitespaces)
        return (synset, label)
    }

    private static func parseJSON(_ text: String) throws(LabelParseError) -> LabelSet {
        let object: Any
        do {
            object = try JSONSerialization.jsonObject(with: Data(text.utf8))
        } catch {
            throw LabelParseError(reason: "invalid JSON (\(error.localizedDescription))")
        }
        if let array = object as? [String] {
            return LabelSet(labels: array)
        }
        guard let map = object as? [String: Any] else {
            throw LabelParseError(reason: "JSON must be an array of names or an object mapping \"0\"... to names")
        }
        var labels = [String](repeating: "", count: map.count)
        for (key, value) in map {
            guard let index = Int(key), index >= 0, index < map.count else {
                throw LabelParseError(reason: "key \"\(key)\" is not an index in 0..<\(map.count)")
            }
            if let name = value as? String {
                labels[index] = name
            } else if let names = value as? [String] {
                labels[index] = names.joined(separator: ", ")
            } else {
                throw LabelParseError(reason: "value for \"\(key)\" is not a name")
            }
        }
        return LabelSet(labels: labels)
    }

    /// The class's label, or `class N` when out of range.
    public subscript(index: Int) -> String {
        index >= 0 && index < labels.count ? labels[index] : "class \(index)"
    }

    /// The first name of the label (before the first comma): `tabby, tabby cat` -> `tabby`.
    public func shortName(_ index: Int) -> String {
        let label = self[index]
        return label.split(separator: ",", maxSplits: 1).first.map { $0.trimmingCharacters(in: .whitespaces) } ?? label
    }

    /// The first class whose full label, first name, or synset id equals `className`
    /// (case-insensitive, surrounding blanks ignored).
    public func index(matching className: String) -> Int? {
        indices(matching: className).first
    }

    /// Every class that matches `className` (ImageNet has duplicates, e.g. two "crane" classes).
    public func indices(matching className: String) -> [Int] {
        let wanted = className.trimmingCharacters(in: .whitespacesAndNewlines).lowercased()
        guard !wanted.isEmpty else { return [] }
        return labels.indices.filter { i in
            labels[i].lowercased() == wanted || shortName(i).lowercased() == wanted || synsets[i]?.lowercased() == wanted
        }
    }
}

/// A labels text that cannot be parsed.
public struct LabelParseError: Error, Sendable, Equatable {
    public var reason: String
}
