import Foundation
import TestSupport
import Testing
@testable import Vision

@Suite("Image decoding and encoding")
struct ImageCodecTests {
    @Test("decodes the sample photos as JPEG and PNG, with the same size and nearly the same pixels")
    func decodesSamplePhotos() throws {
        let png = try ImageCodec.decode(TestAssets.data("photos/coffee.png"))
        let jpeg = try ImageCodec.decode(TestAssets.data("photos/coffee.jpg"))
        #expect(png.width == 600 && png.height == 400)
        #expect(jpeg.width == png.width && jpeg.height == png.height)
        #expect(png.isValid && jpeg.isValid)
        // JPEG quality 92 of the same photo: small average difference.
        let meanDifference = zip(png.pixels, jpeg.pixels).reduce(0.0) { $0 + abs(Double($1.0) - Double($1.1)) } / Double(png.pixels.count)
        #expect(meanDifference < 3, "mean |PNG - JPEG| = \(meanDifference)")
    }

    @Test("JPEG encode then decode keeps the photo", arguments: [50, 90, 100])
    func roundTrip(quality: Int) throws {
        let image = try ImageCodec.decode(TestAssets.data("photos/chelsea.png"))
        let encoded = try ImageCodec.encodeJPEG(image, quality: quality)
        #expect(encoded.starts(with: [0xFF, 0xD8, 0xFF]))
        let decoded = try ImageCodec.decode(encoded)
        #expect(decoded.width == image.width && decoded.height == image.height)
        let meanDifference = zip(image.pixels, decoded.pixels).reduce(0.0) { $0 + abs(Double($1.0) - Double($1.1)) } / Double(image.pixels.count)
        #expect(meanDifference < (quality >= 90 ? 2.5 : 5), "quality \(quality): mean difference \(meanDifference)")
        // A swapped or shifted channel would be far off; a lossless-ish encode is close everywhere.
        #expect(meanDifference > 0.05)
    }

    @Test("higher quality gives a bigger file")
    func qualityMatters() throws {
        let image = RGBImage.testPattern(width: 128, height: 128)
        #expect(try ImageCodec.encodeJPEG(image, quality: 30).count < ImageCodec.encodeJPEG(image, quality: 95).count)
    }

    @Test("DCT scaling decodes large JPEGs smaller but never below the requested short side")
    func dctScaling() throws {
        let data = try TestAssets.data("photos/coffee.jpg")  // 600x400
        let half = try ImageCodec.decode(data, options: ImageDecodingOptions(minimumShortSide: 200))
        #expect(half.width == 300 && half.height == 200)
        let quarter = try ImageCodec.decode(data, options: ImageDecodingOptions(minimumShortSide: 100))
        #expect(quarter.width == 150 && quarter.height == 100)
        let full = try ImageCodec.decode(data, options: ImageDecodingOptions(minimumShortSide: 256))
        #expect(full.width == 600 && full.height == 400)
    }

    @Test("empty data, text and random bytes are refused with a clear error")
    func notImages() throws {
        #expect(throws: ImageDecodingError.empty) { try ImageCodec.decode([UInt8]()) }
        let text = Array("hello, this is not an image".utf8)
        #expect(throws: ImageDecodingError.unrecognizedFormat(leadingBytes: Array(text.prefix(8)))) { try ImageCodec.decode(text) }
        let error = ImageDecodingError.unrecognizedFormat(leadingBytes: Array(text.prefix(8)))
        #expect(error.description.contains("not a JPEG or PNG"))
    }

    @Test("truncated JPEG and PNG files are reported as corrupt", arguments: ["photos/coffee.jpg", "photos/chelsea.png"])
    func truncated(file: String) throws {
        let data = try TestAssets.data(file)
        for fraction in [0.05, 0.5, 0.95] {
            let cut = data.prefix(Int(Double(data.count) * fraction))
            do {
                _ = try ImageCodec.decode(cut)
                Issue.record("\(file) cut to \(cut.count) bytes decoded without an error")
            } catch {
                if case .corrupt = error {} else { Issue.record("unexpected error \(error)") }
                #expect(error.description.contains("corrupt or truncated"))
            }
        }
    }

    @Test("a truncated JPEG decodes only when recoverable errors are allowed")
    func recoverable() throws {
        let data = try TestAssets.data("photos/coffee.jpg")
        let cut = data.prefix(data.count * 3 / 4)
        #expect(throws: ImageDecodingError.self) { try ImageCodec.decode(cut) }
        let partial = try ImageCodec.decode(cut, options: ImageDecodingOptions(allowRecoverableErrors: true))
        #expect(partial.width == 600 && partial.height == 400)
    }

    @Test("images over the pixel limit are refused before decoding")
    func sizeLimit() throws {
        let data = try TestAssets.data("photos/coffee.png")
        #expect(throws: ImageDecodingError.tooLarge(width: 600, height: 400, maximumPixels: 1000)) {
            try ImageCodec.decode(data, options: ImageDecodingOptions(maximumPixels: 1000))
        }
        let jpeg = try TestAssets.data("photos/coffee.jpg")
        #expect(throws: ImageDecodingError.tooLarge(width: 600, height: 400, maximumPixels: 1000)) {
            try ImageCodec.decode(jpeg, options: ImageDecodingOptions(maximumPixels: 1000))
        }
    }

    @Test("fuzz: mutated JPEG and PNG files decode or throw, never crash")
    func fuzz() throws {
        let image = RGBImage.testPattern(width: 40, height: 30)
        let jpeg = try ImageCodec.encodeJPEG(image, quality: 80)
        let png = try TestAssets.data("photos/chelsea.png")
        var generator = SplitMix64(seed: 42)
        var failures = 0
        for sample in [jpeg, Array(png)] {
            for _ in 0..<300 {
                var mutated = sample
                for _ in 0..<Int.random(in: 1...8, using: &generator) {
                    let at = Int.random(in: 0..<mutated.count, using: &generator)
                    mutated[at] = UInt8.random(in: 0...255, using: &generator)
                }
                if Bool.random(using: &generator) { mutated = Array(mutated.prefix(Int.random(in: 0...mutated.count, using: &generator))) }
                do {
                    let decoded = try ImageCodec.decode(mutated)
                    #expect(decoded.isValid)
                } catch {
                    failures += 1
                }
            }
        }
        #expect(failures > 0)
    }

    @Test("encoding an inconsistent image throws")
    func invalidImage() {
        let bad = RGBImage(width: 10, height: 10, unsafePixels: [UInt8](repeating: 0, count: 300))
        var broken = bad
        broken.pixels.removeLast()
        #expect(throws: VisionError.self) { try ImageCodec.encodeJPEG(broken) }
        #expect(throws: VisionError.self) { try RGBImage(width: 10, height: 10, pixels: [1, 2, 3]) }
    }
}
