package import Hummingbird
import HummingbirdCore
package import Logging

extension ListenerLimits {
    /// An HTTP/1 server whose connections follow these limits' timeouts.
    package var http1: HTTPServerBuilder {
        .http1(configuration: http1Configuration)
    }

    /// The HTTP/1 channel configuration with the timeout handler in its pipeline (for servers
    /// that wrap it, e.g. in TLS).
    package var http1Configuration: HTTP1Channel.Configuration {
        let limits = self
        return HTTP1Channel.Configuration(additionalChannelHandlers: [RequestTimeoutHandler(limits: limits)])
    }

    /// Hummingbird's application configuration for `address`, accepting at most
    /// ``maximumConnections`` connections at once.
    package func applicationConfiguration(address: BindAddress, serverName: String? = nil, logger: Logger) -> ApplicationConfiguration {
        ApplicationConfiguration(
            address: address, serverName: serverName,
            availableConnectionsDelegate: MaximumAvailableConnections(maximumConnections, logger: logger)
        )
    }
}
