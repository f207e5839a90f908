import Foundation
import MQTT
import NIOCore
import TestSupport
import Testing

/// Feeds the decoder a million generated inputs: mutations of valid packets (bit flips, byte
/// changes, truncations, splices, length-field tampering) and random bytes. Every input must end
/// in a packet, a typed error, or "need more data" — no crash, no hang, no over-read — and the
/// decoder must never report more bytes consumed than it was given.
@Suite struct MQTTDecoderFuzzTests {
    /// Override with MQTT_FUZZ_ITERATIONS (e.g. 10000000 for a longer run).
    static let iterations = ProcessInfo.processInfo.environment["MQTT_FUZZ_ITERATIONS"].flatMap(Int.init) ?? 1_000_000

    @Test func decoderSurvivesAMillionMutatedInputs() throws {
        var generator = SplitMix64(seed: 0x5EED_0F_F022)
        var seeds: [[UInt8]] = []
        for packet in MQTTCodecTests.samples {
            var buffer = ByteBuffer()
            try packet.encode(into: &buffer)
            seeds.append(Array(buffer.readableBytesView.prefix(512)))
        }
        var outcomes = (packets: 0, errors: 0, incomplete: 0)
        let start = ContinuousClock.now
        for _ in 0..<Self.iterations {
            var bytes = seeds[Int(generator.next() % UInt64(seeds.count))]
            switch generator.next() % 6 {
            case 0: // flip bits
                for _ in 0..<(1 + generator.next() % 4) where !bytes.isEmpty {
                    bytes[Int(generator.next() % UInt64(bytes.count))] ^= UInt8(1 << (generator.next() % 8))
                }
            case 1: // random byte values
                for _ in 0..<(1 + generator.next() % 4) where !bytes.isEmpty {
                    bytes[Int(generator.next() % UInt64(bytes.count))] = UInt8(truncatingIfNeeded: generator.next())
                }
            case 2: // truncate
                bytes = Array(bytes.prefix(Int(generator.next() % UInt64(bytes.count + 1))))
            case 3: // splice two seeds
                let other = seeds[Int(generator.next() % UInt64(seeds.count))]
                bytes = Array(bytes.prefix(Int(generator.next() % UInt64(bytes.count + 1)))) + other
            case 4: // tamper with the remaining length
                if bytes.count > 1 { bytes[1] = UInt8(truncatingIfNeeded: generator.next()) | (generator.next() % 2 == 0 ? 0x80 : 0) }
            default: // pure noise
                bytes = (0..<(generator.next() % 64)).map { _ in UInt8(truncatingIfNeeded: generator.next()) }
            }
            var buffer = ByteBuffer(bytes: bytes)
            // Decode until the input is exhausted, incomplete, or rejected.
            while true {
                let before = buffer.readableBytes
                do {
                    guard try MQTTPacket.decode(from: &buffer, maxPacketSize: 4096) != nil else {
                        outcomes.incomplete += 1
                        break
                    }
                    outcomes.packets += 1
                    #expect(buffer.readableBytes < before)
                    if buffer.readableBytes == 0 { break }
                } catch {
                    outcomes.errors += 1
                    break
                }
            }
        }
        let elapsed = ContinuousClock.now - start
        print("MQTT fuzz: \(Self.iterations) inputs in \(elapsed): \(outcomes.packets) packets, \(outcomes.errors) errors, \(outcomes.incomplete) incomplete")
        #expect(outcomes.errors > 0 && outcomes.packets > 0 && outcomes.incomplete > 0)
    }
}

