import NIOCore

/// The bytes of a contiguous collection as buffers of at most `chunkSize`, copied one at a time
/// when the HTTP client asks for the next: an upload body that never holds a second copy of the
/// whole blob (one `ByteBuffer` of the blob costs a fresh allocation, its page faults and a copy
/// of every byte before the first one is sent).
struct ByteChunks<Bytes: RandomAccessCollection & Sendable>: AsyncSequence, Sendable where Bytes.Element == UInt8, Bytes.Index == Int {
    typealias Element = ByteBuffer
    let bytes: Bytes
    let chunkSize: Int

    init(_ bytes: Bytes, chunkSize: Int = 256 * 1024) {
        self.bytes = bytes
        self.chunkSize = Swift.max(1, chunkSize)
    }

    func makeAsyncIterator() -> Iterator {
        Iterator(bytes: bytes, chunkSize: chunkSize, offset: bytes.startIndex, buffer: ByteBuffer())
    }

    struct Iterator: AsyncIteratorProtocol {
        let bytes: Bytes
        let chunkSize: Int
        var offset: Int
        /// Kept so that its storage is reused once the client has written (and released) the
        /// previous chunk: a fresh allocation of this size is served by mmap, page faults and all.
        var buffer: ByteBuffer

        mutating func next() async -> ByteBuffer? {
            guard offset < bytes.endIndex else { return nil }
            let end = Swift.min(offset + chunkSize, bytes.endIndex)
            let slice = bytes[offset..<end]
            offset = end
            buffer.clear(minimumCapacity: chunkSize)
            if slice.withContiguousStorageIfAvailable({ buffer.writeBytes($0) }) == nil {
                buffer.writeBytes(slice)
            }
            return buffer
        }
    }
}
