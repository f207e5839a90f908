public import Hummingbird
import NIOCore

/// The request context of the front-end: Hummingbird's core storage plus the peer address,
/// used to throttle failed sign-ins per client address.
public struct FrontEndRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    /// The TCP peer's IP address (nil under the in-memory test router).
    public let peerAddress: String?

    public init(source: ApplicationRequestContextSource) {
        self.coreContext = .init(source: source)
        self.peerAddress = source.channel.remoteAddress?.ipAddress
    }

    /// Forms and JSON bodies are small; anything larger is refused before it is read.
    public var maxUploadSize: Int { 64 * 1024 }
}
