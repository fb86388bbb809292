import Foundation
import GaleGateway
import GaleJSON
import GaleProtocol
import KubeClient
import KubeSim
import NIOCore
import Testing
import WSCore

/// `exec` channels on the multiplexed socket: interactive shell, resize, exit code, refusals.
@Suite(.timeLimit(.minutes(2)))
struct LiveExecTests {
    @Test("Interactive shell: echo, resize seen by stty, exit code in exited, then unsubscribed")
    func interactiveShell() async throws {
        try await SimCluster.with { cluster in
            let pod = try await cluster.runningPod(label: "app=nginx")
            try await cluster.gateway.socket(.init(token: cluster.admin)) { socket in
                _ = try await socket.hello()
                try await socket.send(
                    .exec(.init(id: .string("x1"), cluster: String(cluster.id), namespace: "demo", pod: pod, command: ["sh"], tty: true, cols: 80, rows: 24)))
                var channel: UInt32 = 0
                try await socket.receive { frame in
                    if case .opened(.string("x1"), let opened) = frame { channel = opened; return true }
                    return false
                }
                var output = ""
                func type(_ text: String) async throws {
                    try await socket.outbound.write(.binary(StreamFrame(channel: channel, stream: .stdin, payload: ByteBuffer(string: text)).encoded()))
                }
                try await type("echo 'hello-'kube\r")  // the terminal echoes the line typed; only the shell prints hello-kube
                try await socket.readOutput(channel, into: &output) { $0.contains("hello-kube") }
                try await socket.send(.resize(channel: channel, cols: 132, rows: 43))
                try await type("stty size\r")
                try await socket.readOutput(channel, into: &output) { $0.contains("43 132") }
                try await type("exit 3\r")
                var exited: Int?
                var unsubscribed = false
                while !unsubscribed {
                    switch try await socket.receiveMessage() {
                    case .text(let text):
                        switch try ServerFrame(text: text.utf8) {
                        case .exited(channel, let code): exited = code
                        case .unsubscribed(channel, _): unsubscribed = true
                        default: break
                        }
                    case .binary: break
                    }
                }
                #expect(exited == 3)
                // The channel is gone: stdin to it is refused.
                try await type("echo again\r")
                try await socket.receive { if case .error(_, channel?, .invalidArgument, _) = $0 { true } else { false } }
            }
            try await cluster.eventually { cluster.simulator.openExecSessions == 0 }
        }
    }

    @Test("Input written right behind opened is taken, never refused as for a closed channel")
    func inputRightAfterOpened() async throws {
        try await SimCluster.with { cluster in
            let pod = try await cluster.runningPod(label: "app=nginx")
            try await cluster.gateway.socket(.init(token: cluster.admin)) { socket in
                _ = try await socket.hello()
                for round in 1...20 {
                    let id = "cat-\(round)"
                    try await socket.send(
                        .exec(.init(id: .string(id), cluster: String(cluster.id), namespace: "demo", pod: pod, command: ["cat"], tty: false)))
                    var channel: UInt32 = 0
                    try await socket.receive { frame in
                        if case .opened(.string(id), let opened) = frame { channel = opened; return true }
                        return false
                    }
                    // At once: the channel's body may not have started yet.
                    try await socket.outbound.write(
                        .binary(StreamFrame(channel: channel, stream: .stdin, payload: ByteBuffer(string: "round \(round)\n")).encoded()))
                    var output = ""
                    try await socket.readOutput(channel, into: &output) { $0.contains("round \(round)") }
                    try await socket.send(.unsubscribe(channel: channel))
                }
            }
            try await cluster.eventually { cluster.simulator.openExecSessions == 0 }
        }
    }

    @Test("Closing the socket ends the shell upstream; a viewer may not exec; a missing pod is 1004")
    func lifecycleAndRefusals() async throws {
        try await SimCluster.with { cluster in
            let pod = try await cluster.runningPod(label: "app=nginx")
            try await cluster.gateway.socket(.init(token: cluster.admin)) { socket in
                _ = try await socket.hello()
                try await socket.send(.exec(.init(id: .string("x"), cluster: String(cluster.id), namespace: "demo", pod: pod, command: ["sh"], tty: true)))
                try await socket.receive { if case .opened = $0 { true } else { false } }
                try await cluster.eventually { cluster.simulator.openExecSessions == 1 }
                try await socket.send(.exec(.init(id: .string("gone"), cluster: String(cluster.id), namespace: "demo", pod: "no-such-pod", command: ["sh"])))
                try await socket.receive { if case .error(.string("gone")?, nil, .resourceNotFound, _) = $0 { true } else { false } }
            }
            try await cluster.eventually { cluster.simulator.openExecSessions == 0 }
            let viewer = try await cluster.gateway.token(.viewer)
            try await cluster.gateway.socket(.init(token: viewer)) { socket in
                _ = try await socket.hello()
                try await socket.send(.exec(.init(id: .string("v"), cluster: String(cluster.id), namespace: "demo", pod: pod, command: ["sh"])))
                try await socket.receive { if case .error(.string("v")?, nil, .forbidden, _) = $0 { true } else { false } }
            }
        }
    }
}

extension TestSocket {
    /// The next message, text or binary.
    mutating func receiveMessage() async throws -> WebSocketMessage {
        guard let message = try await messages.next() else { throw TestFailure("socket closed") }
        return message
    }

    /// Appends the stdout/stderr bytes of `channel` to `output` until `done` holds.
    mutating func readOutput(_ channel: UInt32, into output: inout String, until done: (String) -> Bool) async throws {
        while !done(output) {
            if case .binary(let buffer) = try await receiveMessage() {
                let frame = try StreamFrame(buffer: buffer)
                if frame.channel == channel, frame.stream == .stdout || frame.stream == .stderr {
                    output += String(decoding: frame.payload.readableBytesView, as: UTF8.self)
                }
            }
        }
    }
}


