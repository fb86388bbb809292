import Foundation
import NIOCore
import NIOPosix
import Synchronization

/// The client side of `idle-memory`, run as a child process so that the parent's memory is the
/// gateway's alone: opens `sockets` authenticated sockets and holds them, doing what its parent
/// writes on stdin (`subscribe FRAME`, `expect-event`, `quit`) and reporting on stdout.
struct HoldSockets {
    var port = 0
    var path = "/ws"
    var token: String?
    var sockets = 1000
    var deflate = false

    init(_ arguments: inout BenchArguments) {
        port = arguments.int("--port", default: port)
        path = arguments.string("--path") ?? path
        token = arguments.string("--token")
        sockets = arguments.int("--sockets", default: sockets)
        deflate = arguments.flag("--deflate")
    }

    /// Counts what the sockets received.
    final class Counts: Sendable {
        private let state = Mutex((hello: 0, synced: 0, events: 0))
        private static let hello = Array(#""type":"hello""#.utf8)

        func record(_ message: LoadSocket.Message) {
            let isHello = Marker.contains(Self.hello, in: message.data)
            let isSynced = !isHello && Marker.contains(Marker.synced, in: message.data)
            let index = Marker.number(after: Marker.index, in: message.data) ?? 0
            state.withLock { state in
                if isHello { state.hello += 1 }
                if isSynced { state.synced += 1 }
                if index > 0 { state.events += 1 }
            }
        }

        var now: (hello: Int, synced: Int, events: Int) { state.withLock { $0 } }
    }

    func run() async throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let counts = Counts()
        var options = LoadSocket.Options(port: port, path: path, token: token, deflate: deflate)
        if token == nil { options.subprotocol = nil }
        let opened = try await FanoutBenchmark.connect(
            sockets, group: group, options: options, onMessage: { counts.record($0) }, onClose: { _ in }, then: { _ in }
        )
        print("ready")
        fflush(nil)
        var commands = StandardInputLines()
        while let command = commands.next() {
            if command.hasPrefix("wait-connected") {
                print(
                    "connected \(opened.count) compressed=\(opened.first?.compressed ?? false) rss=\(ProcessStats.residentKiB() ?? 0)"
                )
            } else if command.hasPrefix("wait-hello") {
                try await waitFor { counts.now.hello >= sockets }
                print(
                    "hello \(counts.now.hello) compressed=\(opened.first?.compressed ?? false) rss=\(ProcessStats.residentKiB() ?? 0)"
                )
            } else if command.hasPrefix("subscribe ") {
                let frame = String(command.dropFirst("subscribe ".count))
                for socket in opened { socket.send(text: frame) }
                try await waitFor { counts.now.synced >= sockets }
                print("synced \(counts.now.synced) rss=\(ProcessStats.residentKiB() ?? 0)")
            } else if command.hasPrefix("expect-event") {
                try await waitFor { counts.now.events >= sockets }
                print("events \(counts.now.events) rss=\(ProcessStats.residentKiB() ?? 0)")
            } else if command.hasPrefix("quit") {
                break
            }
            fflush(nil)
        }
        await FanoutBenchmark.closeAll(opened)
        try? await group.shutdownGracefully()
    }

    private func waitFor(_ condition: () -> Bool) async throws {
        let deadline = ContinuousClock.now + .seconds(120)
        while !condition() {
            guard ContinuousClock.now < deadline else { throw LoadSocketError("hold-sockets: timed out") }
            try await Task.sleep(for: .milliseconds(20))
        }
    }
}

/// Lines of standard input, read blocking (the child does nothing else meanwhile).
struct StandardInputLines {
    mutating func next() -> String? { readLine() }
}
