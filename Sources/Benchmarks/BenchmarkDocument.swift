import Foundation

/// docs/benchmarks.md, rewritten one section at a time: each benchmark owns one `## Title` section
/// (its heading and everything up to the next `## `); the rest of the file is left as it is.
enum BenchmarkDocument {
    /// Replaces the section `## title` with `body` (which does not repeat the heading). A missing
    /// section goes before the section `before` when there is one, else at the end.
    static func replaceSection(_ title: String, in path: String, with body: String, before: String? = nil) throws {
        let text = (try? String(contentsOfFile: path, encoding: .utf8)) ?? "# Benchmarks\n"
        try replacingSection(title, in: text, with: body, before: before).write(toFile: path, atomically: true, encoding: .utf8)
    }

    static func replacingSection(_ title: String, in text: String, with body: String, before: String? = nil) -> String {
        var lines = text.components(separatedBy: "\n")
        let heading = "## \(title)"
        var section = [heading, ""] + body.components(separatedBy: "\n")
        if let start = lines.firstIndex(of: heading) {
            let end = lines[(start + 1)...].firstIndex { $0.hasPrefix("## ") } ?? lines.count
            if end < lines.count { section.append("") }
            lines.replaceSubrange(start..<end, with: section)
        } else if let before, let next = lines.firstIndex(of: "## \(before)") {
            lines.insert(contentsOf: section + [""], at: next)
        } else {
            if lines.last?.isEmpty == false { lines.append("") }
            lines += section
        }
        // One blank line between sections, whatever the bodies end with.
        var tidy: [String] = []
        for line in lines where !(line.isEmpty && tidy.last?.isEmpty == true) { tidy.append(line) }
        return tidy.joined(separator: "\n")
    }
}
