import Hummingbird
import NIOCore

/// The request context of the front-end: Hummingbird's core storage plus the peer address,
/// used to throttle failed sign-ins per client address.
struct FrontEndRequestContext: RequestContext {
    var coreContext: CoreRequestContextStorage
    /// The TCP peer's IP address (nil under the in-memory test router).
    let peerAddress: String?

    init(source: ApplicationRequestContextSource) {
        self.coreContext = .init(source: source)
        self.peerAddress = source.channel.remoteAddress?.ipAddress
    }

    /// Forms and JSON bodies are small; anything larger is refused before it is read.
    var maxUploadSize: Int { 64 * 1024 }
}
