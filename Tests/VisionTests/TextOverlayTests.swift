import Testing
@testable import Vision

@Suite("Text overlay")
struct TextOverlayTests {
    @Test("every printable ASCII character has an 8-row glyph of 5 columns, and they differ")
    func font() {
        #expect(BitmapFont.glyphs.count == 95)
        for glyph in BitmapFont.glyphs {
            #expect(glyph.count == 8)
            #expect(glyph.allSatisfy { $0 < 32 })
        }
        #expect(Set(BitmapFont.glyphs.map { $0.map(String.init).joined(separator: ",") }).count == 95)
        #expect(BitmapFont.glyph(for: "é") == BitmapFont.glyph(for: "?"))
    }

    @Test("draws the glyph bitmap at the given place and scale")
    func drawsPixels() {
        var image = RGBImage(width: 40, height: 30, color: .black)
        TextOverlay.draw("T", on: &image, at: (x: 3, y: 4), scale: 2, color: .white, background: nil)
        let rows = BitmapFont.glyph(for: "T")
        for r in 0..<8 {
            for c in 0..<5 {
                let ink = rows[r] & (1 << (4 - c)) != 0
                for dy in 0..<2 {
                    for dx in 0..<2 {
                        #expect(image[3 + c * 2 + dx, 4 + r * 2 + dy] == (ink ? .white : .black))
                    }
                }
            }
        }
        #expect(image[0, 0] == .black && image[39, 29] == .black)
    }

    @Test("the background box is blended under the text and clipped at the edges")
    func background() {
        var image = RGBImage(width: 20, height: 20, color: RGB(200, 200, 200))
        TextOverlay.draw("Hi", on: &image, at: (x: 15, y: -3), scale: 1, color: .white, background: RGBA(0, 0, 0, 128))
        // The box spans y = -4...5; row 5 is padding below the glyphs: half-way to black.
        #expect(image[19, 5] == RGB(100, 100, 100))
        #expect(image[13, 5] == RGB(200, 200, 200))
        let size = TextOverlay.measure("Hi", scale: 1)
        #expect(size.width == 11 && size.height == 8)
        #expect(image[0, 19] == RGB(200, 200, 200))
        var halfway = RGBImage(width: 4, height: 4, color: RGB(200, 200, 200))
        TextOverlay.fill(&halfway, x: 0, y: 0, width: 4, height: 4, color: RGBA(0, 0, 0, 128))
        #expect(halfway[1, 1] == RGB(100, 100, 100))
    }

    @Test("captions read like jetson-inference's")
    func captions() {
        let c = Classification(classIndex: 967, label: "espresso", confidence: 0.9514)
        #expect(TextOverlay.caption(for: c) == "95.14% espresso")
        #expect(TextOverlay.foundCaption(className: "espresso", confidence: 0.5) == "Found espresso at 50.00% confidence")
        #expect(Classification.percent(0.00001) == "0.00%")
        #expect(Classification.percent(1) == "100.00%")
    }

    @Test("text far outside the image or on an invalid image is ignored without crashing")
    func outside() {
        var image = RGBImage(width: 8, height: 8)
        let before = image
        TextOverlay.draw("hello", on: &image, at: (x: 1000, y: 1000), scale: 3)
        TextOverlay.draw("hello", on: &image, at: (x: -1000, y: -1000), scale: 3)
        #expect(image == before)
        var broken = image
        broken.pixels = [1, 2]
        TextOverlay.draw("x", on: &broken, at: (x: 0, y: 0), scale: 1)
        #expect(broken.pixels == [1, 2])
    }
}
