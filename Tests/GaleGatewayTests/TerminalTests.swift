import AsyncHTTPClient
import Foundation
import GaleJSON
import GaleProtocol
import KubeSim
import Logging
import NIOCore
import NIOHTTP1
import NIOWebSocket
import Testing
import TestSupport
import WSCore

@testable import GaleGateway

/// Pod and node terminals end to end: ticket, `/ws/terminal/{ticket}` as xterm.js's AttachAddon
/// uses it, against KubeSim's shell.
@Suite("Terminals", .timeLimit(.minutes(2)))
struct TerminalTests {
    @Test("type into a pod's shell, resize it, and get the exit code with close 1000")
    func interactive() async throws {
        try await SimCluster.with { cluster in
            let pod = try await cluster.runningPod(label: "app=nginx")
            let ticket = try await cluster.podTicket(pod)
            let close = try await cluster.gateway.socket(.init(), path: "/ws/terminal/\(ticket)?cols=90&rows=20") {
                socket in
                var screen = TerminalScreen(socket: socket)
                try await screen.ready()
                try await screen.type("echo hello\r")
                try await screen.read(until: "\r\nhello\r\n")
                try await screen.type("stty size\r")
                try await screen.read(until: "20 90\r\n")
                try await screen.type(#"{"type":"resize","cols":132,"rows":43}"#)
                try await screen.type("stty size\r")
                try await screen.read(until: "43 132\r\n")
                try await screen.type(#"{"cols":100,"rows":30}"#)
                try await screen.typeBinary("stty size\r")
                try await screen.read(until: "30 100\r\n")
                // Not a resize: other members make it typed text (the shell echoes it; Ctrl-C drops it).
                try await screen.type(#"{"cols":1,"rows":1,"x":2}"#)
                try await screen.read(until: #"{"cols":1,"rows":1,"x":2}"#)
                try await screen.type("\u{3}")
                try await screen.read(until: "^C\r\n")
                try await screen.type("exit 3\r")
                try await screen.readToEnd()
                #expect(screen.texts == ["\r\n[process exited with code 3]\r\n"])
            }
            #expect(close?.closeCode == .normalClosure)
            #expect(try await eventually { cluster.simulator.openExecSessions == 0 })
        }
    }

    @Test("a ticket opens one terminal; a second use is refused with 4001")
    func ticketOnce() async throws {
        try await SimCluster.with { cluster in
            let pod = try await cluster.runningPod(label: "app=nginx")
            let ticket = try await cluster.podTicket(pod)
            try await cluster.gateway.socket(.init(), path: "/ws/terminal/\(ticket)") { socket in
                var screen = TerminalScreen(socket: socket)
                try await screen.ready()
            }
            // Refusals come the instant the socket opens: read them with the raw client (see RawWebSocket).
            let port = cluster.gateway.port
            let refused = try await RawWebSocket.transcript(port: port, path: "/ws/terminal/\(ticket)")
            let refusal = "kubegale: the terminal ticket is invalid, expired or already used (error 2001)\r\n"
            #expect(refused.texts == [refusal])
            #expect(refused.binary.isEmpty)
            #expect(refused.closeCode == CloseCode.unauthenticated)
            let unknown = try await RawWebSocket.transcript(port: port, path: "/ws/terminal/no-such-ticket")
            #expect(unknown.closeCode == CloseCode.unauthenticated)
        }
    }

    @Test("a graceful shutdown of the gateway ends the shell and closes the terminal with 1001")
    func shutdownClosesTerminals() async throws {
        try await SimCluster.with { cluster in
            let pod = try await cluster.runningPod(label: "app=nginx")
            let ticket = try await cluster.podTicket(pod)
            let close = try await cluster.gateway.socket(.init(), path: "/ws/terminal/\(ticket)") { socket in
                var screen = TerminalScreen(socket: socket)
                try await screen.ready()
                await cluster.gateway.shutdown()
                var said = ""
                while let message = try await socket.messages.next() {
                    if case .text(let text) = message { said += text }
                }
                #expect(said.contains("[kubegale: the server is shutting down]"))
            }
            #expect(close?.closeCode == .goingAway)
            try await cluster.eventually { cluster.simulator.openExecSessions == 0 }
        }
    }

    @Test("a terminal does not outlive its token: it says so, closes 4002 and ends the shell")
    func tokenExpiryEndsTerminal() async throws {
        try await SimCluster.with { cluster in
            let pod = try await cluster.runningPod(label: "app=nginx")
            let expiry = Date().addingTimeInterval(600)
            let principal = Principal(subject: "tester", role: .operator, clusters: .all, expiresAt: expiry)
            let gateway = cluster.gateway.gateway
            let ticket = gateway.terminalTickets.issue(
                for: principal, clusterID: cluster.id, namespace: "demo", pod: pod, container: "nginx")
            let close = try await cluster.gateway.socket(.init(), path: "/ws/terminal/\(ticket)") { socket in
                var screen = TerminalScreen(socket: socket)
                try await screen.ready()
                #expect(cluster.simulator.openExecSessions == 1)
                // The registry's sweep, run at a time past the token's expiry (an injected clock
                // rather than a wait): what its one-second timer does when that time comes.
                gateway.sessions.closeExpired(now: expiry.addingTimeInterval(1))
                var said = ""
                while let message = try await socket.messages.next() {
                    if case .text(let text) = message { said += text }
                }
                #expect(said == "\r\nkubegale: token expired (error 2002)\r\n")
            }
            #expect(close?.closeCode == WebSocketErrorCode(codeNumber: Int(CloseCode.tokenExpired)))
            #expect(try await eventually(timeout: .seconds(10)) { cluster.simulator.openExecSessions == 0 })
        }
    }

    @Test("closing the browser's socket ends the shell upstream")
    func clientCloseEndsExec() async throws {
        try await SimCluster.with { cluster in
            let pod = try await cluster.runningPod(label: "app=nginx")
            let ticket = try await cluster.podTicket(pod)
            #expect(cluster.simulator.openExecSessions == 0)
            try await cluster.gateway.socket(.init(), path: "/ws/terminal/\(ticket)") { socket in
                var screen = TerminalScreen(socket: socket)
                try await screen.ready()
                #expect(cluster.simulator.openExecSessions == 1)
                try await screen.type("sleep 60")  // typed, not run: the shell waits for more input
            }
            #expect(try await eventually(timeout: .seconds(10)) { cluster.simulator.openExecSessions == 0 })
        }
    }

    @Test("the ticket's user is checked again: out of scope on use closes 1008")
    func scopeCheckedOnUse() async throws {
        try await SimCluster.with { cluster in
            let pod = try await cluster.runningPod(label: "app=nginx")
            let elsewhere = Principal(
                subject: "mallory", role: .operator, clusters: .only(["999"]), expiresAt: Date().addingTimeInterval(600)
            )
            let ticket = cluster.gateway.gateway.terminalTickets.issue(
                for: elsewhere, clusterID: cluster.id, namespace: "demo", pod: pod, container: "nginx")
            let refused = try await RawWebSocket.transcript(
                port: cluster.gateway.port, path: "/ws/terminal/\(ticket)")
            #expect(refused.texts == ["kubegale: cluster \(cluster.id) is outside your scope (error 1005)\r\n"])
            #expect(refused.closeCode == 1008)
            #expect(cluster.simulator.openExecSessions == 0)

            let outOfScope = try await cluster.gateway.token(.operator, clusters: .only(["999"]))
            let (status, denied) = try await cluster.get(
                "/pods/\(pod)/terminal", ["namespace": "demo"], token: outOfScope)
            #expect(status == 403 && denied["code"]?.intValue == 1005)
        }
    }

    @Test("viewers get no terminals (1005); a missing node answers 1004")
    func roles() async throws {
        try await SimCluster.with { cluster in
            let pod = try await cluster.runningPod(label: "app=nginx")
            let viewer = try await cluster.gateway.token(.viewer)
            for path in ["/pods/\(pod)/terminal", "/nodes/kubesim-worker/terminal"] {
                let (status, denied) = try await cluster.get(path, ["namespace": "demo"], token: viewer)
                #expect(status == 403 && denied["code"]?.intValue == 1005)
            }
            try await cluster.enableNodeTerminals()
            let (_, missing) = try await cluster.get("/nodes/no-such-node/terminal")
            #expect(missing["code"]?.intValue == 1004)
            let (_, pods) = try await cluster.get(
                "/pods", ["namespace": "kube-system", "labelSelector": "\(NodeDebugPod.label)=true"])
            #expect(pods["data"]?["total"]?.intValue == 0)
        }
    }

    @Test("node terminals are for admins, on clusters that enable them")
    func nodeTerminalPolicy() async throws {
        try await SimCluster.with { cluster in
            let (status, off) = try await cluster.get("/nodes/kubesim-worker/terminal")
            #expect(status == 403 && off["code"]?.intValue == 1005)
            #expect(off["msg"]?.stringValue?.contains("node_terminal=true") == true)
            try await cluster.enableNodeTerminals()
            let operatorToken = try await cluster.gateway.token(.operator)
            let (_, refused) = try await cluster.get("/nodes/kubesim-worker/terminal", token: operatorToken)
            #expect(refused["code"]?.intValue == 1005)
            let (_, pods) = try await cluster.get(
                "/pods", ["namespace": "kube-system", "labelSelector": "\(NodeDebugPod.label)=true"])
            #expect(pods["data"]?["total"]?.intValue == 0)
        }
    }

    @Test("a node terminal runs in a debug pod on the node, deleted when the socket closes")
    func nodeTerminal() async throws {
        try await SimCluster.with { cluster in
            try await cluster.enableNodeTerminals()
            let (_, answer) = try await cluster.get("/nodes/kubesim-worker/terminal")
            let data = try #require(answer["data"], "\(answer)")
            let pod = try #require(data["pod"]?.stringValue)
            let ticket = try #require(data["token"]?.stringValue)
            #expect(pod.hasPrefix("node-debugger-kubesim-worker-"))
            #expect(data["namespace"] == "kube-system" && data["node"] == "kubesim-worker")
            #expect(data["terminal_path"]?.stringValue == "/ws/terminal/\(ticket)")
            #expect(data["expires_in"] == 60)

            let (_, object) = try await cluster.get("/pods/\(pod)", ["namespace": "kube-system"])
            let spec = try #require(object["data"]?["spec"])
            #expect(spec["nodeName"] == "kubesim-worker" && spec["hostPID"] == true && spec["hostNetwork"] == true)
            #expect(spec["restartPolicy"] == "Never")
            #expect(spec["containers"]?[0]?["securityContext"]?["privileged"] == true)
            #expect(spec["containers"]?[0]?["volumeMounts"]?[0]?["mountPath"] == "/host")
            #expect(spec["volumes"]?[0]?["hostPath"]?["path"] == "/")
            #expect(object["data"]?["metadata"]?["labels"]?[NodeDebugPod.label] == "true")
            #expect(object["data"]?["status"]?["phase"] == "Running")

            let close = try await cluster.gateway.socket(.init(), path: "/ws/terminal/\(ticket)") { socket in
                var screen = TerminalScreen(socket: socket)
                try await screen.ready()
                try await screen.type("hostname\r")
                try await screen.read(until: "\(pod)\r\n")
                try await screen.type("exit\r")
                try await screen.readToEnd()
                #expect(screen.texts == ["\r\n[process exited with code 0]\r\n"])
            }
            #expect(close?.closeCode == .normalClosure)
            #expect(
                try await eventually {
                    try await cluster.get("/pods/\(pod)", ["namespace": "kube-system"]).envelope["code"] == 1004
                })
        }
    }

    @Test("a node terminal whose ticket is never used deletes its debug pod when the ticket expires")
    func unusedNodeTicket() async throws {
        try await SimCluster.with { cluster in
            try await cluster.enableNodeTerminals()
            let gateway = cluster.gateway.gateway
            let operations = NodeTerminalOperations(
                access: ClusterAccess(registry: gateway.registry, connections: gateway.connections),
                terminals: TerminalTickets(lifetime: .milliseconds(300)), webSocketOrigin: "ws://gateway.invalid",
                configuration: .init())
            let principal = Principal(
                subject: "tester", role: .admin, clusters: .all, expiresAt: Date().addingTimeInterval(600))
            let input = OperationInput(
                principal: principal, pathParameters: ["name": "kubesim-worker2"],
                query: ["cluster_id": String(cluster.id)], body: nil, logger: .init(label: "test"))
            let answer = try await operations.terminal(input)
            let pod = try #require(answer["pod"]?.stringValue)
            #expect(answer["terminal_url"]?.stringValue?.hasPrefix("ws://gateway.invalid/ws/terminal/") == true)
            #expect(try await cluster.podPhase(pod, namespace: "kube-system") == "Running")
            #expect(
                try await eventually {
                    try await cluster.get("/pods/\(pod)", ["namespace": "kube-system"]).envelope["code"] == 1004
                })
        }
    }

    @Test("terminal_url is built on the Host (or X-Forwarded-*) the client addressed")
    func terminalURLFollowsHost() async throws {
        try await SimCluster.with { cluster in
            let pod = try await cluster.runningPod(label: "app=nginx")
            let path = "/pods/\(pod)/terminal?namespace=demo&cluster_id=\(cluster.id)"
            let direct = try await cluster.gateway.get(
                path, token: cluster.admin, headers: [("Host", "console.test:9443")])
            #expect(
                direct["data"]?["terminal_url"]?.stringValue?.hasPrefix("ws://console.test:9443/ws/terminal/") == true)
            let proxied = try await cluster.gateway.get(
                path, token: cluster.admin,
                headers: [("X-Forwarded-Host", "gale.example.com, proxy.internal"), ("X-Forwarded-Proto", "https")])
            #expect(
                proxied["data"]?["terminal_url"]?.stringValue?.hasPrefix("wss://gale.example.com/ws/terminal/") == true)
            let odd = try await cluster.gateway.get(
                path, token: cluster.admin, headers: [("X-Forwarded-Host", "evil.test/<script>")])
            #expect(
                odd["data"]?["terminal_url"]?.stringValue?.hasPrefix("ws://127.0.0.1:\(cluster.gateway.port)/") == true)

            try await cluster.gateway.socket(.init(token: cluster.admin)) { socket in
                _ = try await socket.hello()
                let answer = try await socket.request("GET", path)
                let url = answer.data["terminal_url"]?.stringValue
                #expect(url?.hasPrefix("ws://127.0.0.1:\(cluster.gateway.port)/ws/terminal/") == true)
            }
        }
    }

    @Test("The idle line reads right for any timeout, sub-minute ones included")
    func idleTimeoutText() {
        #expect(TerminalEndpoint.spoken(.seconds(45)) == "45 s")
        #expect(TerminalEndpoint.spoken(.seconds(60)) == "1 min")
        #expect(TerminalEndpoint.spoken(.seconds(90)) == "1 min 30 s")
        #expect(TerminalEndpoint.spoken(.seconds(1800)) == "30 min")
        #expect(TerminalEndpoint.spoken(.milliseconds(500)) == "0 s")
    }
}

/// The client side of a terminal socket, as xterm.js's AttachAddon is: types text, shows every
/// message it receives.
struct TerminalScreen {
    var socket: TestSocket
    /// Everything shown so far: binary messages and text messages, in order.
    var output = ""
    /// The text messages alone.
    var texts: [String] = []

    func type(_ text: String) async throws {
        try await socket.send(text: text)
    }

    func typeBinary(_ text: String) async throws {
        try await socket.outbound.write(.binary(ByteBuffer(string: text)))
    }

    /// Runs `echo ready` and waits for its output: the shell is up and reading. (Its first prompt
    /// is not waited for: output sent the instant a socket opens is sometimes lost by WSClient and
    /// by KubeClient's exec connection — see RawWebSocket.)
    mutating func ready() async throws {
        try await type("echo ready\r")
        try await read(until: "\r\nready\r\n")
    }

    /// Reads until the output contains `needle`.
    mutating func read(until needle: String) async throws {
        while !output.contains(needle) {
            guard try await receive() else {
                throw TestFailure(
                    "socket closed before \(needle.debugDescription) arrived; saw \(output.debugDescription)")
            }
        }
    }

    /// Reads until the server closes the socket.
    mutating func readToEnd() async throws {
        while try await receive() {}
    }

    private mutating func receive() async throws -> Bool {
        guard let message = try await socket.messages.next() else { return false }
        switch message {
        case .binary(let buffer):
            output += String(buffer: buffer)
        case .text(let text):
            output += text
            texts.append(text)
        }
        return true
    }
}

extension SimCluster {
    /// A terminal ticket for `pod` in `demo`.
    func podTicket(_ pod: String) async throws -> String {
        let (_, issued) = try await get("/pods/\(pod)/terminal", ["namespace": "demo"])
        return try #require(issued["data"]?["token"]?.stringValue, "\(issued)")
    }
}

extension TestGateway {
    /// `GET path` under the API base with extra request headers; the envelope.
    func get(_ path: String, token: String, headers: [(String, String)]) async throws -> GaleJSON.JSONValue {
        var request = HTTPClientRequest(url: httpBase + path)
        request.headers.add(name: "Authorization", value: "Bearer \(token)")
        for (name, value) in headers { request.headers.replaceOrAdd(name: name, value: value) }
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(30))
        let bytes = try await response.body.collect(upTo: 1 << 20)
        return try JSONParser.parse(bytes.readableBytesView)
    }
}
