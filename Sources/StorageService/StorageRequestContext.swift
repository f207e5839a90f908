import Hummingbird
import NIOCore

/// The request context of the storage endpoints: Hummingbird's core context plus the client's
/// address, which a SAS with an IP range (`sip`) is checked against.
struct StorageRequestContext: RequestContext {
    var coreContext: CoreRequestContextStorage
    /// The client's IPv4 address as a number, `nil` for IPv6 or unknown peers.
    let clientIPv4: UInt32?

    init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        if case .v4(let address) = source.channel.remoteAddress {
            clientIPv4 = UInt32(bigEndian: address.address.sin_addr.s_addr)
        } else {
            clientIPv4 = nil
        }
    }
}

/// A SAS `sip` value: one IPv4 address or an inclusive range `a.b.c.d-e.f.g.h`.
struct SASAddressRange: Sendable {
    let lower: UInt32
    let upper: UInt32

    init?(_ text: String) {
        let parts = text.split(separator: "-", maxSplits: 1, omittingEmptySubsequences: false)
        guard let first = parts.first.flatMap({ Self.parse($0) }) else { return nil }
        let last = parts.count == 2 ? Self.parse(parts[1]) : first
        guard let last, first <= last else { return nil }
        lower = first
        upper = last
    }

    func contains(_ address: UInt32) -> Bool { address >= lower && address <= upper }

    static func parse(_ text: some StringProtocol) -> UInt32? {
        let octets = text.split(separator: ".", omittingEmptySubsequences: false)
        guard octets.count == 4 else { return nil }
        var value: UInt32 = 0
        for octet in octets {
            guard octet.count <= 3, let byte = UInt8(octet) else { return nil }
            value = value << 8 | UInt32(byte)
        }
        return value
    }
}
