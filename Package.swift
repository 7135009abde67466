// swift-tools-version: 6.0
import PackageDescription

let package = Package(
    name: "TaskQ",
    platforms: [.macOS(.v14)],
    products: [
        .library(name: "TaskQ", targets: ["TaskQ"]),
        .executable(name: "taskq", targets: ["taskq"]),
        .executable(name: "taskq-worker", targets: ["taskq-worker"]),
        .executable(name: "tasks", targets: ["tasks"]),
        .executable(name: "workflows", targets: ["workflows"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/apple/swift-http-types", from: "1.8.0"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.3"),
        .package(url: "https://github.com/apple/swift-nio-extras", from: "1.35.2"),
        .package(url: "https://github.com/apple/swift-crypto", from: "4.5.2"),
        .package(url: "https://github.com/apple/swift-certificates", from: "1.21.1"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
    ],
    targets: [
        .systemLibrary(
            name: "CHiredis",
            path: "Sources/CHiredis",
            pkgConfig: "hiredis",
            providers: [.apt(["libhiredis-dev"])]
        ),
        .systemLibrary(
            name: "CProcessControl",
            path: "Sources/CProcessControl"
        ),
        .systemLibrary(
            name: "CCompression",
            path: "Sources/CCompression",
            providers: [.apt(["zlib1g-dev", "libbz2-dev", "libzstd-dev"])]
        ),
        .target(
            name: "TaskQ",
            dependencies: [
                "CHiredis",
                "CProcessControl",
                "CCompression",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "_CryptoExtras", package: "swift-crypto"),
                .product(name: "X509", package: "swift-certificates"),
            ],
            path: "Sources/TaskQ"
        ),
        .target(
            name: "TaskQYAML",
            dependencies: ["TaskQ", .product(name: "Yams", package: "Yams")],
            path: "Sources/TaskQYAML"
        ),
        .target(
            name: "TaskQWorker",
            dependencies: [
                "TaskQ",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
            ],
            path: "Worker"
        ),
        .target(
            name: "TaskQMonitor",
            dependencies: [
                "TaskQ",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
            ],
            path: "Monitor"
        ),
        .target(
            name: "TaskQWorkerCommand",
            dependencies: [
                "TaskQ",
                "TaskQWorker",
                "TaskQYAML",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            path: "Sources/TaskQWorkerCommand"
        ),
        .executableTarget(
            name: "taskq-worker",
            dependencies: [
                "TaskQWorkerCommand",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            path: "Sources/taskq-worker"
        ),
        .executableTarget(
            name: "taskq",
            dependencies: [
                "TaskQ",
                "TaskQWorker",
                "TaskQWorkerCommand",
                "TaskQMonitor",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            path: "Sources/taskq"
        ),
        .executableTarget(
            name: "tasks",
            dependencies: ["TaskQ"],
            path: "Examples/tasks"
        ),
        .executableTarget(
            name: "workflows",
            dependencies: ["TaskQ"],
            path: "Examples/workflows"
        ),
        .target(
            name: "TaskQTestSupport",
            dependencies: ["TaskQ", .product(name: "Logging", package: "swift-log")],
            path: "Tests/Support"
        ),
        .testTarget(
            name: "TaskQTests",
            dependencies: ["TaskQ", "TaskQYAML", "TaskQTestSupport"],
            path: "Tests/TaskQTests"
        ),
        .testTarget(
            name: "MonitorTests",
            dependencies: ["TaskQ", "TaskQMonitor", "TaskQTestSupport"],
            path: "Tests/MonitorTests"
        ),
        .testTarget(
            name: "WorkerTests",
            dependencies: ["TaskQ", "TaskQWorker", "TaskQTestSupport"],
            path: "Tests/WorkerTests"
        ),
    ],
    swiftLanguageModes: [.v6]
)
