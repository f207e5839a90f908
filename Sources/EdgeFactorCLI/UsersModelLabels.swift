import Foundation

/// The model's labels, to check that an enrolled class is one the camera can recognise.
enum ModelLabels {
    /// A closure mapping a typed class to the model's label (case-insensitive; the full label or
    /// its first name before a comma), or nil when no labels file is found and none was named.
    static func catalogue(path: String?) throws -> (@Sendable (String) -> String?)? {
        let url: URL
        if let path {
            url = URL(fileURLWithPath: path)
        } else if let found = defaultLabelsFile() {
            url = found
        } else {
            FileHandle.standardError.write(Data("warning: no model labels found (run scripts/setup.sh, or pass --labels); classes are not checked\n".utf8))
            return nil
        }
        let labels = try load(url)
        var byName: [String: String] = [:]
        for label in labels {
            byName[label.lowercased(), default: label] = label
            if let first = label.split(separator: ",").first {
                byName[first.trimmingCharacters(in: .whitespaces).lowercased(), default: label] = label
            }
        }
        let table = byName
        return { name in
            guard let label = table[name.trimmingCharacters(in: .whitespaces).lowercased()] else { return nil }
            // Enrol under the name typed when it is the label's first name ("banana"), else the label.
            return label.lowercased().hasPrefix(name.lowercased()) ? name.trimmingCharacters(in: .whitespaces) : label
        }
    }

    /// Labels as a JSON object {"0": "tench, Tinca tinca", ...}, a JSON array, or one per line.
    static func load(_ url: URL) throws -> [String] {
        let data = try Data(contentsOf: url)
        if let object = try? JSONSerialization.jsonObject(with: data) {
            if let array = object as? [String] { return array }
            if let map = object as? [String: String] {
                return map.sorted { (Int($0.key) ?? 0) < (Int($1.key) ?? 0) }.map(\.value)
            }
        }
        return String(decoding: data, as: UTF8.self).split(whereSeparator: \.isNewline).map { String($0).trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
    }

    private static func defaultLabelsFile() -> URL? {
        let models = FrontendPaths.home.appendingPathComponent("models")
        let names = (try? FileManager.default.contentsOfDirectory(atPath: models.path)) ?? []
        return names.sorted().first { $0.contains("label") }.map { models.appendingPathComponent($0) }
    }
}
