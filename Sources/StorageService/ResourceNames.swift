/// Azure's naming rules for queues, containers, blobs and metadata.
enum ResourceNames {
    /// Queues and containers: 3–63 characters, lower-case letters, digits and single hyphens,
    /// starting and ending with a letter or digit.
    static func validateQueueOrContainer(_ name: String, kind: String) throws(StorageServiceError) {
        let bytes = name.utf8
        guard (3...63).contains(bytes.count) else {
            throw StorageServiceError(400, .outOfRangeInput, "The \(kind) name '\(name.prefix(80))' must be 3 to 63 characters long.")
        }
        // One pass over the bytes (this runs on every request): lower-case letters, digits and
        // single hyphens, not first or last.
        var valid = true
        var previous: UInt8 = 0x2D  // as if a hyphen came before: a leading one is refused
        for byte in bytes {
            let isHyphen = byte == 0x2D
            guard (byte >= 0x61 && byte <= 0x7A) || (byte >= 0x30 && byte <= 0x39) || (isHyphen && previous != 0x2D) else {
                valid = false
                break
            }
            previous = byte
        }
        guard valid, previous != 0x2D else {
            throw StorageServiceError(
                400, .invalidResourceName,
                "The specified \(kind) name '\(name.prefix(80))' is not valid: use lower-case letters, digits and single hyphens, starting and ending with a letter or digit."
            )
        }
    }

    /// Blob names: 1–1024 characters of valid UTF-8, no control characters or backslashes, and no
    /// `.` or `..` path segments (names never map to file paths here, but such names are a
    /// traversal attempt and Azure would not keep them as written either).
    static func validateBlob(_ name: String) throws(StorageServiceError) {
        let count = name.count
        guard count >= 1, count <= 1024 else {
            throw StorageServiceError(400, .outOfRangeInput, "A blob name must be 1 to 1024 characters long.")
        }
        let badScalar = name.unicodeScalars.contains { $0.value < 0x20 || $0.value == 0x7F || $0 == "\\" || ($0.value >= 0xFFFE) }
        let segments = name.split(separator: "/", omittingEmptySubsequences: false)
        guard !badScalar, !segments.contains(where: { $0 == "." || $0 == ".." }) else {
            throw StorageServiceError(
                400, .invalidResourceName,
                "The blob name contains a control character, a backslash, or a '.' or '..' path segment; choose another name."
            )
        }
    }

    /// Metadata names must be C# identifiers; values must be single-line. Total ≤ 8 KiB.
    static func validateMetadata(_ metadata: [(String, String)]) throws(StorageServiceError) {
        var total = 0
        var seen = Set<String>()
        for (name, value) in metadata {
            let bytes = Array(name.utf8)
            let first = bytes.first ?? 0
            let validFirst = (first >= 0x41 && first <= 0x5A) || (first >= 0x61 && first <= 0x7A) || first == 0x5F
            let validRest = bytes.allSatisfy { ($0 >= 0x41 && $0 <= 0x5A) || ($0 >= 0x61 && $0 <= 0x7A) || ($0 >= 0x30 && $0 <= 0x39) || $0 == 0x5F }
            guard validFirst, validRest, bytes.count <= 256 else {
                throw StorageServiceError(400, .invalidMetadata, "Metadata name '\(name.prefix(80))' must be a C# identifier (letters, digits, '_', not starting with a digit).")
            }
            guard seen.insert(name.lowercased()).inserted else {
                throw StorageServiceError(400, .invalidMetadata, "Metadata name '\(name)' appears twice (names are case-insensitive).")
            }
            guard !value.contains(where: { $0 == "\r" || $0 == "\n" }) else {
                throw StorageServiceError(400, .invalidMetadata, "The value of metadata '\(name)' contains a line break.")
            }
            total += bytes.count + value.utf8.count
        }
        guard total <= 8 * 1024 else {
            throw StorageServiceError(400, .metadataTooLarge, "Metadata names and values together exceed 8 KiB.")
        }
    }
}
