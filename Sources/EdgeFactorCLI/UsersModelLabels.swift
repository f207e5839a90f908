import ArgumentParser
import Foundation
import Vision

/// The model's labels, to check that an enrolled class is one the camera can recognise.
enum ModelLabels {
    /// Where the labels are looked for without `--labels`: set-up's `$EDGEFACTOR_HOME/models/labels.txt`
    /// (home defaults to `./var`).
    static var defaultPath: String {
        VisionHome.directory() + "/models/" + ClassifierConfiguration.defaultLabelsFile
    }

    /// A closure mapping a typed class to the name to enrol (the label's short name when the user
    /// typed that, else the full label), or nil when the model has no such class. Throws, saying
    /// what to pass, when no labels file is named and none is found: a class the camera's model
    /// does not have would make an account that can never sign in.
    static func catalogue(path: String?) throws -> @Sendable (String) -> String? {
        let labelsPath = path ?? defaultPath
        guard FileManager.default.isReadableFile(atPath: labelsPath) else {
            throw ValidationError("""
                no model labels at \(labelsPath) to check the classes against. Pass --labels with the labels \
                file of the model the devices use (set-up writes it to models/labels.txt under EDGEFACTOR_HOME; \
                copy it from the edge box), or --skip-label-check to enrol the classes unchecked.
                """)
        }
        let labels = try LabelSet(contentsOf: labelsPath)
        return { name in
            let typed = name.trimmingCharacters(in: .whitespaces)
            guard let index = labels.index(matching: typed) else { return nil }
            return labels.shortName(index).caseInsensitiveCompare(typed) == .orderedSame ? labels.shortName(index) : labels[index]
        }
    }
}
