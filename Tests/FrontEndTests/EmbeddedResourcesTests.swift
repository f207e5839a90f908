import Foundation
@testable import FrontEnd
import Testing

@Suite("Front-end resources are compiled into the binary")
struct EmbeddedResourcesTests {
    /// `Sources/FrontEnd/Resources` in this checkout.
    private var resources: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Sources/FrontEnd/Resources", isDirectory: true)
    }

    @Test("every template file is embedded, byte for byte, under its name")
    func everyTemplateIsEmbedded() throws {
        let folder = resources.appendingPathComponent("templates")
        let files = try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { $0.hasSuffix(".mustache") }.sorted()
        let embedded = Dictionary(uniqueKeysWithValues: FrontEndResources.templates.map { ($0.name, $0.text) })
        #expect(files.count == embedded.count, "templates on disk: \(files); embedded: \(embedded.keys.sorted())")
        for file in files {
            let name = String(file.dropLast(".mustache".count))
            let bytes = try [UInt8](Data(contentsOf: folder.appendingPathComponent(file)))
            #expect(embedded[name] == bytes, "\(file) is missing from FrontEndResources or Package.swift, or differs")
        }
    }

    @Test("the stylesheet and the script are the files in Resources/static")
    func staticFiles() throws {
        let folder = resources.appendingPathComponent("static")
        #expect(try [UInt8](Data(contentsOf: folder.appendingPathComponent("app.css"))) == FrontEndResources.stylesheet)
        #expect(try [UInt8](Data(contentsOf: folder.appendingPathComponent("app.js"))) == FrontEndResources.script)
    }

    @Test("every embedded template parses, and the renderer loads without a resource bundle")
    func rendererLoads() async throws {
        let renderer = try await PageRenderer.load()
        for template in FrontEndResources.templates {
            #expect(renderer.library.getTemplate(named: template.name) != nil, "\(template.name)")
        }
    }
}
