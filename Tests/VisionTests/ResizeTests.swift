import Foundation
import Testing
@testable import Vision

@Suite("Resizing and pre-processing")
struct ResizeTests {
    @Test("a flat colour stays flat at any size", arguments: ResizeFilter.allCases)
    func flatStaysFlat(filter: ResizeFilter) throws {
        let image = RGBImage(width: 37, height: 23, color: RGB(10, 128, 250))
        for (w, h) in [(5, 3), (37, 23), (100, 71)] {
            let resized = try image.resized(width: w, height: h, filter: filter)
            #expect(resized.width == w && resized.height == h)
            #expect(Set(stride(from: 0, to: resized.pixels.count, by: 3).map { resized[$0 / 3 % w, $0 / 3 / w] }) == [RGB(10, 128, 250)])
        }
    }

    @Test("resizing to the same size is the identity", arguments: ResizeFilter.allCases)
    func identity(filter: ResizeFilter) throws {
        let image = RGBImage.testPattern(width: 31, height: 17)
        #expect(try image.resized(width: 31, height: 17, filter: filter) == image)
    }

    @Test("shrinking a fine checkerboard averages it (no aliasing)", arguments: ResizeFilter.allCases)
    func antialiasing(filter: ResizeFilter) throws {
        var pixels = [UInt8](repeating: 0, count: 64 * 64 * 3)
        for y in 0..<64 { for x in 0..<64 where (x + y) % 2 == 0 { for c in 0..<3 { pixels[(y * 64 + x) * 3 + c] = 255 } } }
        let board = try RGBImage(width: 64, height: 64, pixels: pixels)
        let small = try board.resized(width: 8, height: 8, filter: filter)
        for value in small.pixels { #expect(abs(Int(value) - 128) <= 3, "got \(value)") }
    }

    @Test("crops clip to the image and refuse empty results")
    func crops() throws {
        let image = RGBImage.testPattern(width: 20, height: 10)
        let crop = try image.cropped(x: 15, y: -5, width: 10, height: 10)
        #expect(crop.width == 5 && crop.height == 5)
        #expect(crop[0, 0] == image[15, 0])
        #expect(throws: VisionError.self) { try image.cropped(x: 30, y: 0, width: 5, height: 5) }
        let center = try image.centerCropped(fraction: 1)
        #expect(center.width == 10 && center.height == 10 && center[0, 0] == image[5, 0])
    }

    @Test("RGB/BGR swap")
    func swap() throws {
        let image = try RGBImage(width: 1, height: 1, pixels: [1, 2, 3])
        #expect(image.swappingRedAndBlue().pixels == [3, 2, 1])
    }

    @Test("pre-processing matches the reference implementation of the test set-up",
          arguments: [("photos/coffee.png", "coffee-efficientnet", Preprocessing.efficientNetLite),
                      ("photos/chelsea.jpg", "chelsea-resnet18-3class", Preprocessing.jetson)])
    func parity(photo: String, reference: String, preprocessing: Preprocessing) throws {
        let image = try ImageCodec.decode(TestAssets.data(photo))
        let tensor = try preprocessing.tensor(from: image, inputWidth: 224, inputHeight: 224)
        let expected = try TestAssets.floats("test-assets/\(reference).input.f32")
        #expect(tensor.count == expected.count)
        let maxDifference = zip(tensor, expected).map { abs($0 - $1) }.max() ?? .infinity
        // Float32 here, float64 in the reference: about 1e-5 apart; 1e-3 is 1/8 of a grey level.
        #expect(maxDifference < 1e-3, "max |Δ| = \(maxDifference)")
    }

    @Test("BGR order swaps the first and last planes")
    func channelOrder() throws {
        let image = RGBImage(width: 8, height: 8, color: RGB(255, 0, 0))
        var bgr = Preprocessing.jetson
        bgr.channelOrder = .bgr
        let rgbTensor = try Preprocessing.jetson.tensor(from: image, inputWidth: 4, inputHeight: 4)
        let bgrTensor = try bgr.tensor(from: image, inputWidth: 4, inputHeight: 4)
        // Plane 0 of RGB is red (high); plane 0 of BGR is blue (low: zero after normalisation).
        #expect(rgbTensor[0] > 2 && bgrTensor[0] < -1.5)
        // Plane 2 of BGR is red, normalised with red's statistics; plane 0 is blue with blue's.
        #expect(abs(bgrTensor[32] - (1 - 0.485) / 0.229) < 1e-5)
        #expect(abs(bgrTensor[0] - (0 - 0.406) / 0.225) < 1e-5)
    }

    @Test("centre crop takes the middle of the frame")
    func centerCropRegion() {
        let region = Preprocessing.efficientNetLite.region(imageWidth: 600, imageHeight: 400, inputWidth: 224, inputHeight: 224)
        #expect(abs(region.width - 350) < 1e-9 && abs(region.height - 350) < 1e-9)
        #expect(abs(region.x - 125) < 1e-9 && abs(region.y - 25) < 1e-9)
        #expect(Preprocessing.efficientNetLite.minimumShortSide(inputWidth: 224, inputHeight: 224) == 256)
    }
}
