import Testing
@testable import Vision

@Suite("Labels")
struct LabelSetTests {
    @Test("jetson-inference labels.txt with synset lines")
    func synsetLines() throws {
        let labels = try LabelSet(parsing: "n01440764 tench, Tinca tinca\nn02123045 tabby, tabby cat\n\n")
        #expect(labels.count == 2)
        #expect(labels[1] == "tabby, tabby cat")
        #expect(labels.synsets[1] == "n02123045")
        #expect(labels.shortName(0) == "tench")
    }

    @Test("plain lines, JSON maps and JSON arrays")
    func formats() throws {
        #expect(try LabelSet(parsing: "phone\nkeys\nwallet").labels == ["phone", "keys", "wallet"])
        #expect(try LabelSet(parsing: #"{"1": "keys", "0": "phone"}"#).labels == ["phone", "keys"])
        #expect(try LabelSet(parsing: #"["phone", "keys"]"#).labels == ["phone", "keys"])
        #expect(throws: LabelParseError.self) { try LabelSet(parsing: #"{"0": "a", "5": "b"}"#) }
        #expect(throws: LabelParseError.self) { try LabelSet(parsing: "{not json") }
        #expect(throws: LabelParseError.self) { try LabelSet(parsing: "  \n ") }
    }

    @Test("matching is case-insensitive on the full label, the first name or the synset")
    func matching() throws {
        let labels = try LabelSet(parsing: "n02123045 tabby, tabby cat\nn03063599 coffee mug\nn02012849 crane\nn03126707 crane")
        #expect(labels.index(matching: "Tabby") == 0)
        #expect(labels.index(matching: "tabby, TABBY cat") == 0)
        #expect(labels.index(matching: " coffee mug ") == 1)
        #expect(labels.index(matching: "n03063599") == 1)
        #expect(labels.index(matching: "tabby cat") == nil)
        #expect(labels.index(matching: "mug") == nil)
        #expect(labels.index(matching: "") == nil)
        #expect(labels.indices(matching: "crane") == [2, 3])
    }

    @Test("the default model's labels file has the 1000 ImageNet classes in order")
    func defaultLabels() throws {
        let labels = try LabelSet(contentsOf: TestAssets.path("models/labels.txt"))
        #expect(labels.count == 1000)
        #expect(labels.index(matching: "espresso") == 967)
        #expect(labels.index(matching: "tench") == 0)
        let json = try LabelSet(contentsOf: TestAssets.path("models/labels.json"))
        #expect(json.labels == labels.labels)
    }

    @Test("unreadable labels files give an error that names the file")
    func unreadable() {
        do {
            _ = try LabelSet(contentsOf: "/nonexistent/labels.txt")
            Issue.record("no error")
        } catch {
            #expect(error.description.contains("/nonexistent/labels.txt"))
        }
    }
}
