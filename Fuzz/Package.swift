// swift-tools-version:5.4
// Tools 5.4 on purpose: from 5.5 on SwiftPM renames an executable's entry point to `<Target>_main`
// and links `main` to it, which leaves no room for libFuzzer's own `main`.
import PackageDescription

// libFuzzer targets for the parsers that read untrusted input: one executable per parser, each
// exporting `LLVMFuzzerTestOneInput`. Built with the sanitizers by `scripts/fuzz.sh`:
//
//   swift build --package-path Fuzz --build-path .build-fuzz \
//       -Xswiftc -sanitize=fuzzer,address -Xswiftc -parse-as-library
//
// Internal parsers are reached with `@testable import` (debug builds enable testing).
let package = Package(
    name: "kubegale-fuzz",
    dependencies: [
        .package(name: "kubegale-realtime", path: "..")
    ],
    targets: [
        // Client text frames (`ClientFrame(text:)`), round-tripped through their JSON.
        .executableTarget(
            name: "FuzzClientFrame",
            dependencies: [
                .product(name: "GaleProtocol", package: "kubegale-realtime")
            ]
        ),
        // GaleJSON's parser and serializer.
        .executableTarget(
            name: "FuzzJSON",
            dependencies: [
                .product(name: "GaleProtocol", package: "kubegale-realtime")
            ]
        ),
        // The binary stream codec (`StreamFrame`).
        .executableTarget(
            name: "FuzzStreamFrame",
            dependencies: [
                .product(name: "GaleProtocol", package: "kubegale-realtime")
            ]
        ),
        // The streaming tar reader of file transfers, fed whole and in pieces.
        .executableTarget(
            name: "FuzzTar",
            dependencies: [
                .product(name: "GaleGateway", package: "kubegale-realtime")
            ]
        ),
        // YAML `content` of create/update turned into JSON.
        .executableTarget(
            name: "FuzzYAMLContent",
            dependencies: [
                .product(name: "KubeClient", package: "kubegale-realtime")
            ]
        ),
        // The kubeconfig reader: parsing, and resolving contexts that name no file.
        .executableTarget(
            name: "FuzzKubeconfig",
            dependencies: [
                .product(name: "KubeClient", package: "kubegale-realtime")
            ]
        ),
        // KubeSim's reader of protobuf request bodies (kubectl create, typed clients).
        .executableTarget(
            name: "FuzzKubeProtobuf",
            dependencies: [
                .product(name: "KubeSim", package: "kubegale-realtime")
            ]
        ),
    ]
)
