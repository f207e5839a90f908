import MQTT
import NIOCore
import Testing

@Suite struct MQTTCodecTests {
    @Test func placeholder() { #expect(Bool(true)) }
}
