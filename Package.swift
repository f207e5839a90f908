// swift-tools-version:6.0
import PackageDescription

// Dependencies point one way: foundations (MQTT, AzureStorage, IoTHub, Vision, Verification)
// ← built-in servers (StorageService, HubService) and apps (EdgeModule, DeviceAgent, FrontEnd)
// ← EdgeFactorCLI. Apps never import the servers; servers never import apps. Observability (the
// operator endpoint, request metrics, access log) is a foundation too: servers and apps use it, it
// uses none of them.

let strict: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("InternalImportsByDefault"),
]

let package = Package(
    name: "EdgeFactor",
    // macOS 15: swift-configuration's minimum (the CLI reads its settings through it).
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "edgefactor", targets: ["EdgeFactorCLI"]),
        .executable(name: "edgefactor-bench", targets: ["Benchmarks"]),
        .library(name: "MQTT", targets: ["MQTT"]),
        .library(name: "AzureStorage", targets: ["AzureStorage"]),
        .library(name: "IoTHub", targets: ["IoTHub"]),
        .library(name: "Vision", targets: ["Vision"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.70.0"),
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.27.0"),
        .package(url: "https://github.com/apple/swift-crypto.git", "3.0.0"..<"5.0.0"),
        .package(url: "https://github.com/apple/swift-certificates.git", from: "1.0.0"),
        .package(url: "https://github.com/apple/swift-asn1.git", from: "1.0.0"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.6.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.0.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.6.0"),
        .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.21.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.5.0"),
        .package(url: "https://github.com/apple/swift-nio-extras.git", from: "1.20.0"),
        .package(url: "https://github.com/apple/swift-http-types.git", from: "1.0.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird-auth.git", from: "2.0.0"),
        .package(url: "https://github.com/hummingbird-project/swift-mustache.git", from: "2.0.0"),
        .package(url: "https://github.com/groue/GRDB.swift.git", from: "7.0.0"),
        .package(url: "https://github.com/apple/swift-configuration", from: "1.4.0"),
    ],
    targets: [
        // MARK: Foundations
        // The small helpers every module shares (base64url, constant-time comparison, Duration
        // units, percent-encoding, the default model's name): `package` access, no dependencies.
        .target(name: "EdgeFactorSupport", swiftSettings: strict),
        .target(
            name: "MQTT",
            dependencies: [.product(name: "NIOCore", package: "swift-nio")],
            swiftSettings: strict
        ),
        .target(
            name: "AzureStorage",
            dependencies: [
                "EdgeFactorSupport",
                "PrivateFiles",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict
        ),
        .target(
            name: "IoTHub",
            dependencies: [
                "EdgeFactorSupport",
                "MQTT",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ],
            swiftSettings: strict
        ),
        .systemLibrary(name: "CJPEG", path: "Sources/CJPEG"),
        .systemLibrary(name: "CPNG", pkgConfig: "libpng", providers: [.apt(["libpng-dev"])]),
        .target(name: "CVisionShims", dependencies: ["CJPEG", "CPNG"], linkerSettings: [.linkedLibrary("jpeg")]),
        .target(name: "CONNXRuntime"),
        .target(
            name: "Vision",
            dependencies: [
                "EdgeFactorSupport",
                "CVisionShims", "CONNXRuntime",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                "CPNG",
            ],
            swiftSettings: strict
        ),
        .target(name: "PrivateFiles", swiftSettings: strict),
        // The development CA and server certificates the built-in servers share (one CA file trusts both).
        .target(
            name: "DevelopmentTLS",
            dependencies: [
                "PrivateFiles",
                .product(name: "X509", package: "swift-certificates"),
                .product(name: "SwiftASN1", package: "swift-asn1"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
            ],
            swiftSettings: strict
        ),
        .target(
            name: "ListenerSafety",
            dependencies: [
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict
        ),
        .target(
            name: "Observability",
            dependencies: [
                "EdgeFactorSupport",
                "ListenerSafety",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strict
        ),
        .target(
            name: "Verification",
            dependencies: ["EdgeFactorSupport", "PrivateFiles", .product(name: "Crypto", package: "swift-crypto")],
            swiftSettings: strict
        ),

        // MARK: Built-in servers
        .target(
            name: "StorageService",
            dependencies: [
                "EdgeFactorSupport",
                "AzureStorage", "PrivateFiles", "ListenerSafety", "DevelopmentTLS", "Observability",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "HummingbirdTLS", package: "hummingbird"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ],
            swiftSettings: strict
        ),
        .target(
            name: "HubService",
            dependencies: [
                "EdgeFactorSupport",
                "MQTT", "IoTHub", "PrivateFiles", "ListenerSafety", "DevelopmentTLS", "Observability",
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "HummingbirdTLS", package: "hummingbird"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
            ],
            swiftSettings: strict
        ),

        // MARK: Applications
        .target(
            name: "EdgeModule",
            dependencies: [
                "EdgeFactorSupport",
                "IoTHub", "AzureStorage", "Verification", "Observability",
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strict
        ),
        .target(
            name: "DeviceAgent",
            dependencies: [
                "EdgeFactorSupport",
                "IoTHub", "AzureStorage", "Vision", "Verification", "PrivateFiles", "ListenerSafety", "Observability",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strict
        ),
        .target(
            name: "FrontEnd",
            dependencies: [
                "EdgeFactorSupport",
                "IoTHub", "AzureStorage", "Verification", "PrivateFiles", "ListenerSafety", "Observability",
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdBcrypt", package: "hummingbird-auth"),
                .product(name: "Mustache", package: "swift-mustache"),
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
            ],
            // Embedded in the binary, so that an installed `edgefactor` needs no resource bundle
            // beside it (FrontEndResources.swift lists them; a test checks that the list is complete).
            resources: [
                .embedInCode("Resources/templates/layout.mustache"),
                .embedInCode("Resources/templates/login.mustache"),
                .embedInCode("Resources/templates/verify.mustache"),
                .embedInCode("Resources/templates/account.mustache"),
                .embedInCode("Resources/templates/message.mustache"),
                .embedInCode("Resources/templates/objects.mustache"),
                .embedInCode("Resources/templates/enrol.mustache"),
                .embedInCode("Resources/templates/demo-camera.mustache"),
                .embedInCode("Resources/templates/admin-nav.mustache"),
                .embedInCode("Resources/templates/admin-users.mustache"),
                .embedInCode("Resources/templates/admin-user.mustache"),
                .embedInCode("Resources/templates/admin-devices.mustache"),
                .embedInCode("Resources/templates/admin-audit.mustache"),
                .embedInCode("Resources/templates/admin-dead-letters.mustache"),
                .embedInCode("Resources/static/app.css"),
                .embedInCode("Resources/static/app.js"),
            ],
            swiftSettings: strict
        ),

        // MARK: Wiring
        // The CLI's settings: flags, then EDGEFACTOR_* (and the other historical) variables, then a
        // JSON file, read once per command (docs/configuration.md). A library so that tests import it.
        .target(
            name: "CLISettings",
            dependencies: [.product(name: "Configuration", package: "swift-configuration")],
            swiftSettings: strict
        ),
        .executableTarget(
            name: "EdgeFactorCLI",
            dependencies: [
                "EdgeFactorSupport",
                "AzureStorage", "IoTHub", "Vision", "Verification", "PrivateFiles", "ListenerSafety", "Observability",
                "StorageService", "HubService", "EdgeModule", "DeviceAgent", "FrontEnd", "CLISettings",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strict
        ),
        .executableTarget(
            name: "Benchmarks",
            dependencies: [
                "AzureStorage", "IoTHub", "Vision", "Verification", "MQTT",
                "StorageService", "HubService", "EdgeModule", "DeviceAgent", "ListenerSafety", "DevelopmentTLS",
                "TestSupport",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTLS", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            swiftSettings: strict
        ),

        // MARK: Tests (beside each module)
        .target(
            name: "TestSupport",
            dependencies: [
                "EdgeFactorSupport", "StorageService", "HubService",
                .product(name: "NIOCore", package: "swift-nio"), .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Tests/TestSupport",
            swiftSettings: strict
        ),
        .testTarget(name: "EdgeFactorSupportTests", dependencies: ["EdgeFactorSupport"]),
        .testTarget(name: "MQTTTests", dependencies: ["MQTT", "TestSupport", .product(name: "NIOCore", package: "swift-nio")]),
        .testTarget(name: "AzureStorageTests", dependencies: ["AzureStorage", "StorageService", "TestSupport"]),
        .testTarget(name: "ListenerSafetyTests", dependencies: ["ListenerSafety"]),
        .testTarget(
            name: "ObservabilityTests",
            dependencies: [
                "Observability", "TestSupport",
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .testTarget(name: "StorageServiceTests", dependencies: ["StorageService", "AzureStorage", "ListenerSafety", "Observability", "TestSupport", .product(name: "AsyncHTTPClient", package: "async-http-client"), .product(name: "NIOCore", package: "swift-nio"), .product(name: "GRDB", package: "GRDB.swift")]),
        .testTarget(
            name: "IoTHubTests",
            dependencies: [
                "IoTHub", "HubService", "MQTT", "TestSupport",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "Crypto", package: "swift-crypto"),
            ]
        ),
        .testTarget(
            name: "HubServiceTests",
            dependencies: [
                "HubService", "IoTHub", "MQTT", "ListenerSafety", "Observability", "TestSupport",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .testTarget(name: "CLISettingsTests", dependencies: ["CLISettings"]),
        .testTarget(name: "VisionTests", dependencies: ["Vision", "TestSupport"]),
        .testTarget(name: "VerificationTests", dependencies: ["Verification", "TestSupport"]),
        .testTarget(
            name: "EdgeModuleTests",
            dependencies: ["EdgeModule", "StorageService", "HubService", "IoTHub", "AzureStorage", "Verification", "Observability", "TestSupport", .product(name: "Logging", package: "swift-log"), .product(name: "ServiceLifecycle", package: "swift-service-lifecycle")]
        ),
        .testTarget(
            name: "DeviceAgentTests",
            dependencies: ["DeviceAgent", "EdgeModule", "FrontEnd", "StorageService", "HubService", "IoTHub", "AzureStorage", "Vision", "Verification", "TestSupport", .product(name: "Crypto", package: "swift-crypto"), .product(name: "Logging", package: "swift-log"), .product(name: "ServiceLifecycle", package: "swift-service-lifecycle")]
        ),
        .testTarget(
            name: "FrontEndTests",
            dependencies: [
                "FrontEnd", "StorageService", "HubService", "IoTHub", "AzureStorage", "Verification",
                "EdgeModule", "DeviceAgent", "Vision", "ListenerSafety", "Observability", "TestSupport",
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
    ]
)
