import Foundation
import Vision

extension DeviceAgent {
    /// Uses `server` for the operator's live preview (nil: none).
    func attachPreview(_ server: MJPEGStreamServer?) {
        preview = server
    }

    /// Whether someone watches the preview: the camera then runs even with no request, for aiming it.
    var previewWatched: Bool { (preview?.clientCount ?? 0) > 0 }

    /// Draws what the model sees (its best class) and how far each watched request has come onto
    /// `frame`, and sends it to the preview's viewers. Only when someone watches: encoding costs.
    func showPreview(_ frame: RGBImage, classification: ClassificationResult) {
        guard let preview, preview.clientCount > 0 else { return }
        var annotated = frame
        let scale = TextOverlay.automaticScale(for: annotated)
        var lines: [String] = classification.top.first.map { [TextOverlay.caption(for: $0)] } ?? []
        for entry in book.entries.values.sorted(by: { $0.requestId < $1.requestId }).prefix(3) {
            lines.append("\(entry.request.className): best \(Int(entry.bestConfidence.rounded()))% of \(Int(entry.request.threshold.rounded()))%")
        }
        let lineHeight = TextOverlay.measure("Ag", scale: scale).height + 2 * scale
        for (index, line) in lines.enumerated() {
            TextOverlay.draw(line, on: &annotated, at: (x: 4 * scale, y: 4 * scale + index * lineHeight), scale: scale)
        }
        do { try preview.publish(annotated, quality: 70) } catch {
            logger.debug("cannot encode a preview frame", metadata: ["error": "\(error)"])
        }
    }
}
