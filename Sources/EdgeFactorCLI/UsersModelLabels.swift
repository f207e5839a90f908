import Foundation
import Vision

/// The model's labels, to check that an enrolled class is one the camera can recognise.
enum ModelLabels {
    /// A closure mapping a typed class to the name to enrol (the label's short name when the user
    /// typed that, else the full label), or nil when the model has no such class. Nil overall when
    /// no labels file is found and none was named (with a warning).
    static func catalogue(path: String?) throws -> (@Sendable (String) -> String?)? {
        let labelsPath: String
        if let path {
            labelsPath = path
        } else if let configured = try? ClassifierConfiguration.defaultModel(), let path = configured.labelsPath,
                  FileManager.default.fileExists(atPath: path) {
            labelsPath = path
        } else {
            FileHandle.standardError.write(Data("warning: no model labels found (run scripts/setup.sh, or pass --labels); classes are not checked\n".utf8))
            return nil
        }
        let labels = try LabelSet(contentsOf: labelsPath)
        return { name in
            let typed = name.trimmingCharacters(in: .whitespaces)
            guard let index = labels.index(matching: typed) else { return nil }
            return labels.shortName(index).caseInsensitiveCompare(typed) == .orderedSame ? labels.shortName(index) : labels[index]
        }
    }
}
