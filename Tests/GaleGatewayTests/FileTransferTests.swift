import AsyncHTTPClient
import Foundation
import GaleJSON
import GaleProtocol
import KubeSim
import NIOCore
import NIOHTTP1
import Testing
import WSCore

@testable import GaleGateway

/// Uploads and downloads through KubeSim's `tar`, over the socket and over HTTP.
@Suite(.timeLimit(.minutes(2)))
struct FileTransferTests {
    /// Deterministic content that is not a multiple of a tar block.
    static func content(_ count: Int, seed: UInt8 = 7) -> [UInt8] {
        (0..<count).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ Int(seed)) }
    }

    @Test("Upload over the socket in pieces with progress, then download it back: same bytes, same size")
    func socketRoundTrip() async throws {
        let data = Self.content(300_001)
        try await SimCluster.with(live: .forFiles(progressInterval: 64 << 10)) { cluster in
            let pod = try await cluster.runningPod(label: "app=nginx")
            let target = ClientFrame.FileTarget(cluster: String(cluster.id), namespace: "demo", pod: pod, path: "/tmp/blob.bin")
            try await cluster.gateway.socket(.init(token: cluster.admin)) { socket in
                _ = try await socket.hello()
                try await socket.send(.upload(.init(id: "u", target: target, size: Int64(data.count), mode: 0o600)))
                let channel = try await socket.opened("u")
                var offset = 0
                while offset < data.count {
                    let end = min(offset + 50_000, data.count)
                    try await socket.outbound.write(
                        .binary(StreamFrame(channel: channel, stream: .stdin, payload: ByteBuffer(bytes: data[offset..<end])).encoded()))
                    offset = end
                }
                let frames = try await socket.receive { if case .unsubscribed(channel, _) = $0 { true } else { false } }
                let progress = frames.compactMap { if case .progress(let p) = $0 { p } else { nil } }
                #expect(progress.first?.bytes == 0 && progress.first?.total == Int64(data.count))
                #expect(progress.count >= 4, "a progress frame at least every 64 KiB")
                #expect(progress.last == .init(channel: channel, bytes: Int64(data.count), total: Int64(data.count), done: true))
                #expect(frames.last == .unsubscribed(channel: channel, reason: "uploaded"))

                try await socket.send(.download(.init(id: "d", target: target)))
                let download = try await socket.opened("d")
                let (received, last) = try await socket.collect(download)
                #expect(received == data)
                #expect(last == .init(channel: download, bytes: Int64(data.count), total: Int64(data.count), done: true))
            }
            // The mode went with it, as `ls -l` in the container shows.
            let listing = try await cluster.shell(pod, "ls -l /tmp/blob.bin")
            #expect(listing.hasPrefix("-rw-------"), "\(listing)")
        }
    }

    @Test("A directory downloads as a tar archive of it; the first progress says so")
    func directoryDownload() async throws {
        try await SimCluster.with { cluster in
            let pod = try await cluster.runningPod(label: "app=nginx")
            _ = try await cluster.shell(pod, "mkdir -p /data/site/css && echo hello > /data/site/index.html && echo 'a{}' > /data/site/css/a.css")
            try await cluster.gateway.socket(.init(token: cluster.admin)) { socket in
                _ = try await socket.hello()
                let target = ClientFrame.FileTarget(cluster: String(cluster.id), namespace: "demo", pod: pod, path: "/data/site")
                try await socket.send(.download(.init(id: "d", target: target)))
                let channel = try await socket.opened("d")
                let first = try await socket.receive { if case .progress = $0 { true } else { false } }
                #expect(first.last == .progress(.init(channel: channel, bytes: 0, format: "archive", filename: "site.tar")))
                let (archive, _) = try await socket.collect(channel)
                let members = try FileArchiveTests.read(ByteBuffer(bytes: archive), step: 1000)
                #expect(Set(members.map(\.0.name)) == ["site/", "site/index.html", "site/css/", "site/css/a.css"])
                #expect(members.first { $0.0.name == "site/index.html" }?.1 == Array("hello\n".utf8))
            }
        }
    }

    @Test("Refusals: viewer 1005, bad paths 1001, a missing file 1004, over the limit 1001, wrong byte counts 1001")
    func refusals() async throws {
        var live = LiveConfiguration.forFiles(progressInterval: 1 << 20)
        live.files.maxUploadBytes = 1000
        try await SimCluster.with(live: live) { cluster in
            let pod = try await cluster.runningPod(label: "app=nginx")
            let viewer = try await cluster.gateway.token(.viewer)
            @Sendable func target(_ path: String) -> ClientFrame.FileTarget {
                .init(cluster: String(cluster.id), namespace: "demo", pod: pod, path: path)
            }
            try await cluster.gateway.socket(.init(token: viewer)) { socket in
                _ = try await socket.hello()
                try await socket.send(.download(.init(id: "v", target: target("/etc/hostname"))))
                try await socket.expectError("v", .forbidden)
            }
            try await cluster.gateway.socket(.init(token: cluster.admin)) { socket in
                _ = try await socket.hello()
                for (id, path) in [("rel", "etc/hostname"), ("dots", "/tmp/../etc/passwd"), ("root", "/")] {
                    try await socket.send(.download(.init(id: .string(id), target: target(path))))
                    try await socket.expectError(.string(id), .invalidArgument)
                }
                try await socket.send(.download(.init(id: "missing", target: target("/tmp/no-such-file"))))
                try await socket.expectError("missing", .resourceNotFound)
                try await socket.send(.upload(.init(id: "big", target: target("/tmp/big"), size: 1001)))
                try await socket.expectError("big", .invalidArgument)
                try await socket.send(.upload(.init(id: "nodir", target: target("/no/such/dir/file"), size: 1)))
                let nodir = try await socket.opened("nodir")
                try await socket.outbound.write(.binary(StreamFrame(channel: nodir, stream: .stdin, payload: ByteBuffer(bytes: [1])).encoded()))
                try await socket.expectChannelError(nodir, .resourceNotFound)

                // More bytes than declared.
                try await socket.send(.upload(.init(id: "over", target: target("/tmp/over"), size: 4)))
                let over = try await socket.opened("over")
                try await socket.outbound.write(.binary(StreamFrame(channel: over, stream: .stdin, payload: ByteBuffer(bytes: [1, 2, 3, 4, 5])).encoded()))
                try await socket.expectChannelError(over, .invalidArgument)
                // Fewer bytes, then the client closes its stream.
                try await socket.send(.upload(.init(id: "under", target: target("/tmp/under"), size: 4)))
                let under = try await socket.opened("under")
                try await socket.outbound.write(.binary(StreamFrame(channel: under, stream: .stdin, payload: ByteBuffer(bytes: [1, 2])).encoded()))
                try await socket.outbound.write(.binary(StreamFrame(channel: under, stream: .close, payload: ByteBuffer(bytes: [0])).encoded()))
                try await socket.expectChannelError(under, .invalidArgument)
            }
            try await cluster.eventually { cluster.simulator.openExecSessions == 0 }
        }
    }

    @Test("HTTP: PUT the body to a path, GET it back with length and attachment name; a 3 MiB file crosses many frames")
    func http() async throws {
        let data = Self.content(3 << 20, seed: 3)
        try await SimCluster.with { cluster in
            let pod = try await cluster.runningPod(label: "app=nginx")
            let path = "/pods/\(pod)/files?cluster_id=\(cluster.id)&namespace=demo&path=/tmp/h%C3%A9llo.bin&mode=0755"
            let put = try await cluster.gateway.transfer(.PUT, path, token: cluster.admin, body: data)
            #expect(put.status == 200)
            let envelope = try JSONParser.parse(put.body)
            #expect(envelope["code"]?.intValue == 0)
            #expect(envelope["data"] == ["path": "/tmp/héllo.bin", "size": .int(Int64(data.count))])

            let get = try await cluster.gateway.transfer(.GET, path, token: cluster.admin)
            #expect(get.status == 200)
            #expect(get.headers["Content-Type"].first == "application/octet-stream")
            #expect(get.headers["Content-Length"].first == String(data.count))
            #expect(get.headers["Content-Disposition"].first == "attachment; filename=\"h_llo.bin\"; filename*=UTF-8''h%C3%A9llo.bin")
            #expect(get.body == data)

            // A name that looks like an option is still a path to tar.
            let dashed = "/pods/\(pod)/files?cluster_id=\(cluster.id)&namespace=demo&path=/tmp/--version"
            #expect(try await cluster.gateway.transfer(.PUT, dashed, token: cluster.admin, body: [7, 8, 9]).status == 200)
            #expect(try await cluster.gateway.transfer(.GET, dashed, token: cluster.admin).body == [7, 8, 9])

            let missing = try await cluster.gateway.transfer(
                .GET, "/pods/\(pod)/files?cluster_id=\(cluster.id)&namespace=demo&path=/tmp/nothing", token: cluster.admin)
            let missingEnvelope = try JSONParser.parse(missing.body)
            #expect(missing.status == 404 && missingEnvelope["code"]?.intValue == 1004)
            let viewer = try await cluster.gateway.token(.viewer)
            let refused = try await cluster.gateway.transfer(.PUT, path, token: viewer, body: [1])
            #expect(try JSONParser.parse(refused.body)["code"]?.intValue == 1005)
            let anonymous = try await cluster.gateway.transfer(.GET, path, token: nil)
            #expect(try JSONParser.parse(anonymous.body)["code"]?.intValue == 2001)
        }
    }
}

extension LiveConfiguration {
    static func forFiles(progressInterval: Int) -> LiveConfiguration {
        var live = LiveConfiguration.forTests
        live.files = FileTransferConfiguration(progressInterval: progressInterval)
        return live
    }
}

extension FrameID: ExpressibleByStringLiteral {
    public init(stringLiteral value: String) { self = .string(value) }
}

extension TestSocket {
    /// Waits for `opened` answering `id`; fails on an error answering it.
    mutating func opened(_ id: FrameID) async throws -> UInt32 {
        var channel: UInt32?
        _ = try await receive { frame in
            switch frame {
            case .opened(id, let opened):
                channel = opened
                return true
            case .error(id?, _, let code, let msg): Issue.record("\(id) refused: \(code.rawValue) \(msg)"); return true
            default: return false
            }
        }
        return try #require(channel)
    }

    /// The binary stream 1 bytes of `channel` until its final `progress`, and that frame.
    mutating func collect(_ channel: UInt32) async throws -> ([UInt8], ServerFrame.Progress?) {
        var bytes: [UInt8] = []
        var last: ServerFrame.Progress?
        while true {
            guard let message = try await messages.next() else { throw TestFailure("socket closed") }
            switch message {
            case .binary(let buffer):
                let frame = try StreamFrame(buffer: buffer)
                if frame.channel == channel, frame.stream == .stdout { bytes += frame.payload.readableBytesView }
            case .text(let text):
                switch try ServerFrame(text: text.utf8) {
                case .progress(let progress) where progress.channel == channel && progress.done: last = progress
                case .unsubscribed(channel, _): return (bytes, last)
                case .error(_, channel?, let code, let msg): throw TestFailure("download failed: \(code.rawValue) \(msg)")
                default: break
                }
            }
        }
    }

    /// Waits for an `error` answering frame `id` with `code`.
    mutating func expectError(_ id: FrameID, _ code: ErrorCode) async throws {
        let frames = try await receive { if case .error(id?, _, _, _) = $0 { true } else { false } }
        guard case .error(_, _, let got, let msg) = frames.last else { return }
        #expect(got == code, "\(id): \(msg)")
    }

    /// Waits for the `error` that ends `channel`, then its `unsubscribed`.
    mutating func expectChannelError(_ channel: UInt32, _ code: ErrorCode) async throws {
        let frames = try await receive { if case .unsubscribed(channel, _) = $0 { true } else { false } }
        let errors = frames.compactMap { frame -> (ErrorCode, String)? in
            if case .error(nil, channel?, let code, let msg) = frame { return (code, msg) }
            return nil
        }
        #expect(errors.count == 1 && errors.first?.0 == code, "\(errors)")
    }
}

extension SimCluster {
    /// Runs `script` with `sh -c` in `pod` through the gateway's exec channel and returns its output.
    func shell(_ pod: String, _ script: String) async throws -> String {
        let output = Shared("")
        try await gateway.socket(.init(token: admin)) { socket in
            _ = try await socket.hello()
            try await socket.send(.exec(.init(id: "sh", cluster: String(id), namespace: "demo", pod: pod, command: ["sh", "-c", script])))
            let channel = try await socket.opened("sh")
            var text = ""
            while true {
                guard let message = try await socket.messages.next() else { break }
                if case .binary(let buffer) = message, let frame = try? StreamFrame(buffer: buffer), frame.channel == channel {
                    text += String(decoding: frame.payload.readableBytesView, as: UTF8.self)
                } else if case .text(let frame) = message, case .unsubscribed(channel, _) = try ServerFrame(text: frame.utf8) {
                    break
                }
            }
            output.set(text)
        }
        return output.get()
    }
}

extension TestGateway {
    /// An HTTP call with a raw body; returns status, headers and the raw response body.
    func transfer(_ method: HTTPMethod, _ path: String, token: String?, body: [UInt8]? = nil) async throws
        -> (status: Int, headers: HTTPHeaders, body: [UInt8])
    {
        var request = HTTPClientRequest(url: httpBase + path)
        request.method = method
        if let token { request.headers.add(name: "Authorization", value: "Bearer \(token)") }
        if let body { request.body = .bytes(ByteBuffer(bytes: body)) }
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(60))
        let bytes = try await response.body.collect(upTo: 64 << 20)
        return (Int(response.status.code), response.headers, Array(bytes.readableBytesView))
    }
}
