import AsyncHTTPClient
import Foundation
import KubeSim
import NIOCore
import NIOHTTP1
import Testing
import TestSupport

/// The streaming commands of the real kubectl against the simulator: `exec -i`, `attach` (to a server's output
/// and to an interactive container), `port-forward` (SPDY tunneled over WebSocket to a simulated listener) and
/// `debug` (an ephemeral container, then attach), with their failure cases.
@Suite(.serialized, .enabled(if: Kubectl.isInstalled)) struct KubectlStreamingTests {
    /// Computed: each test gets a port of its own, or parallel tests would wait for each other's.
    static var tls: KubeSimServer.Configuration { SimFixture.configuration(tls: true) }

    static func nginxPod(_ server: KubeSimServer) throws -> String {
        let pods = server.store.list(
            ResourceCatalog.pods, filter: .init(namespace: "demo", labelSelector: try LabelSelector(parsing: "app=nginx")))
        return try #require(pods.items.first?[path: ["metadata", "name"]]?.stringValue)
    }

    /// Creates a pod whose container keeps stdin open (as `kubectl run -it` makes one) and waits for it to run.
    static func interactivePod(_ server: KubeSimServer, name: String) async throws {
        try server.api.create(
            ResourceCatalog.pods, namespace: "demo",
            object: [
                "metadata": ["name": .string(name)],
                "spec": ["containers": [["name": "shell", "image": "busybox", "stdin": true, "stdinOnce": true]]],
            ])
        #expect(
            await SimFixture.eventually {
                server.store.find(ResourceCatalog.pods, namespace: "demo", name: name)?[path: ["status", "phase"]]?.stringValue == "Running"
            })
    }

    /// GET `path` on 127.0.0.1:`port`: (status, body).
    static func get(port: Int, path: String = "/") async throws -> (status: UInt, body: String) {
        let response = try await HTTPClient.shared.execute(HTTPClientRequest(url: "http://127.0.0.1:\(port)\(path)"), timeout: .seconds(20))
        let body = try await response.body.collect(upTo: 1 << 20)
        return (response.status.code, String(buffer: body))
    }

    /// The local port of a running `kubectl port-forward`, from its "Forwarding from 127.0.0.1:PORT -> ..." line.
    static func forwardedPort(_ running: Kubectl.Running) async -> Int? {
        var port: Int?
        _ = await SimFixture.eventually {
            guard let line = running.output.split(separator: "\n").first(where: { $0.hasPrefix("Forwarding from 127.0.0.1:") }) else {
                return !running.isRunning
            }
            port = Int(line.dropFirst("Forwarding from 127.0.0.1:".count).prefix { $0.isNumber })
            return true
        }
        return port
    }

    @Test func execWithPipedStdinOnTheWebSocketProtocol() async throws {
        try await SimFixture.withServer(Self.tls) { server in
            let kubectl = try Kubectl(server)
            #expect(await SimFixture.waitForDemoPods(server))
            let pod = try Self.nginxPod(server)
            let lines = (1...200).map { "line \($0)\n" }.joined()
            let piped = try await kubectl.run(["exec", "-i", "-n", "demo", pod, "--", "sh", "-c", "cat; echo done >&2"], stdin: Data(lines.utf8))
            #expect(piped.status == 0, "\(piped.err)")
            #expect(piped.out == lines)
            #expect(piped.err == "done\n")
        }
    }

    @Test func attachShowsTheServersOutputAsItIsWritten() async throws {
        try await SimFixture.withServer(Self.tls) { server in
            let kubectl = try Kubectl(server)
            #expect(await SimFixture.waitForDemoPods(server))
            let pod = try Self.nginxPod(server)
            let attach = try kubectl.start("attach", "-n", "demo", pod, "-c", "nginx")
            defer { attach.stop() }
            #expect(await SimFixture.eventually { attach.output.split(separator: "\n").count >= 3 }, "\(attach.output) \(attach.errorOutput)")
            attach.stop()
            // What attach showed is what the container wrote: the same lines its log has.
            let logs = try await kubectl.run("logs", "-n", "demo", pod, "-c", "nginx")
            let shown = attach.output.split(separator: "\n").prefix(3)
            #expect(shown.allSatisfy { logs.out.contains($0) }, "\(shown) not in the log")
            #expect(await SimFixture.eventually { server.openExecSessions == 0 })
        }
    }

    @Test func attachWithStdinTalksToAnInteractiveContainer() async throws {
        try await SimFixture.withServer(Self.tls) { server in
            let kubectl = try Kubectl(server)
            try await Self.interactivePod(server, name: "interactive")
            let attach = try await kubectl.run(
                ["attach", "-i", "-n", "demo", "interactive"], stdin: Data("echo attached to $HOSTNAME\nexit 0\n".utf8))
            #expect(attach.status == 0, "\(attach.err)")
            #expect(attach.out.contains("attached to interactive\n"), "\(attach.out)")
        }
    }

    @Test func attachToAMissingContainerFails() async throws {
        try await SimFixture.withServer(Self.tls) { server in
            let kubectl = try Kubectl(server)
            #expect(await SimFixture.waitForDemoPods(server))
            let attach = try await kubectl.run("attach", "-n", "demo", try Self.nginxPod(server), "-c", "no-such-container")
            #expect(attach.status != 0)
            #expect(attach.err.contains("no-such-container"), "\(attach.err)")
        }
    }

    @Test func portForwardServesTheContainersListener() async throws {
        try await SimFixture.withServer(Self.tls) { server in
            let kubectl = try Kubectl(server)
            #expect(await SimFixture.waitForDemoPods(server))
            let pod = try Self.nginxPod(server)
            let forward = try kubectl.start("port-forward", "-n", "demo", "pod/\(pod)", ":80")
            defer { forward.stop() }
            let port = try #require(await Self.forwardedPort(forward), "\(forward.output) \(forward.errorOutput)")
            let first = try await Self.get(port: port, path: "/index.html")
            #expect(first.status == 200)
            #expect(first.body.contains("Hello from demo/\(pod)"), "\(first.body)")
            #expect(first.body.contains("container nginx, port 80, GET /index.html"))
            // Each local connection is a new pair of streams on the same tunnel.
            for index in 0..<3 {
                let again = try await Self.get(port: port, path: "/\(index)")
                #expect(again.status == 200)
                #expect(again.body.contains("GET /\(index)"))
            }
            #expect(forward.isRunning, "\(forward.errorOutput)")
            #expect(forward.output.contains("Handling connection for \(port)"))
        }
    }

    @Test func portForwardToAPortThePodDoesNotDeclareReportsTheError() async throws {
        try await SimFixture.withServer(Self.tls) { server in
            let kubectl = try Kubectl(server)
            #expect(await SimFixture.waitForDemoPods(server))
            let pod = try Self.nginxPod(server)
            let forward = try kubectl.start("port-forward", "-n", "demo", "pod/\(pod)", ":81")
            defer { forward.stop() }
            let port = try #require(await Self.forwardedPort(forward), "\(forward.output) \(forward.errorOutput)")
            await #expect(throws: (any Error).self) { try await Self.get(port: port) }
            #expect(
                await SimFixture.eventually { forward.errorOutput.contains("error forwarding port 81") },
                "\(forward.errorOutput)")
            #expect(forward.errorOutput.contains("connection refused"))
        }
    }

    @Test func garbageInTheSPDYTunnelClosesWithAProtocolError() async throws {
        try await SimFixture.withServer { server in
            #expect(await SimFixture.waitForDemoPods(server))
            let url = try #require(server.url.flatMap(URL.init(string:)))
            let pod = try Self.nginxPod(server)
            let headers = [("Authorization", "Bearer \(server.token)"), ("Sec-WebSocket-Protocol", "SPDY/3.1+portforward.k8s.io")]
            let attacks: [[(opcode: UInt8, payload: [UInt8])]] = [
                // A control frame of an unknown SPDY version.
                [(RawWebSocket.binary, [0x80, 0x02, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00])],
                // A SYN_STREAM whose header block is not zlib data.
                [(RawWebSocket.binary, [0x80, 0x03, 0x00, 0x01, 0x00, 0x00, 0x00, 0x0E] + [0, 0, 0, 1, 0, 0, 0, 0, 0, 0] + [1, 2, 3, 4])],
                // A frame that claims 16 MiB.
                [(RawWebSocket.binary, [0x00, 0x00, 0x00, 0x01, 0x00, 0xFF, 0xFF, 0xFF])],
                // Text in a binary tunnel.
                [(RawWebSocket.text, Array("hello".utf8))],
            ]
            for frames in attacks {
                let transcript = try await RawWebSocket.transcript(
                    port: try #require(url.port), host: try #require(url.host),
                    path: "/api/v1/namespaces/demo/pods/\(pod)/portforward", headers: headers, frames: frames)
                #expect(transcript.closeCode == 1002, "\(frames)")
            }
        }
    }

    @Test func debugAddsARunningEphemeralContainerAndAttachesToIt() async throws {
        try await SimFixture.withServer(Self.tls) { server in
            let kubectl = try Kubectl(server)
            #expect(await SimFixture.waitForDemoPods(server))
            let pod = try Self.nginxPod(server)
            let debug = try await kubectl.run(
                ["debug", "-i", "-n", "demo", pod, "--image=busybox", "--target=nginx", "-c", "debugger"],
                stdin: Data("echo debugging $HOSTNAME\nexit\n".utf8))
            #expect(debug.status == 0, "\(debug.err)")
            #expect(debug.out.contains("debugging \(pod)\n"), "\(debug.out) \(debug.err)")
            let updated = try #require(server.store.find(ResourceCatalog.pods, namespace: "demo", name: pod))
            let container = updated[path: ["spec", "ephemeralContainers"]]?.arrayValue?.first
            #expect(container?["name"] == "debugger")
            #expect(container?["targetContainerName"] == "nginx")
            // It ran, and ended with its shell: ephemeral containers are not restarted, nor attached to again.
            func status() -> JSONValue? {
                server.store.find(ResourceCatalog.pods, namespace: "demo", name: pod)?[path: ["status", "ephemeralContainerStatuses"]]?
                    .arrayValue?.first
            }
            #expect(await SimFixture.eventually { status()?[path: ["state", "terminated"]] != nil })
            let status = status()
            #expect(status?[path: ["state", "terminated", "startedAt"]] != nil, "\(String(describing: status))")
            #expect(status?[path: ["state", "terminated", "exitCode"]] == 0)
            let reattach = try await kubectl.run(["attach", "-i", "-n", "demo", pod, "-c", "debugger"], stdin: Data("echo again\n".utf8))
            #expect(reattach.status != 0)
            #expect(!reattach.out.contains("again"))
            // A second debugger joins the first, which stays as it was; exec reaches it as any container.
            let second = try await kubectl.run(["debug", "-n", "demo", pod, "--image=busybox:1.36", "-c", "second"])
            #expect(second.status == 0, "\(second.err)")
            let pods = try #require(server.store.find(ResourceCatalog.pods, namespace: "demo", name: pod))
            #expect(pods[path: ["spec", "ephemeralContainers"]]?.arrayValue?.compactMap { $0["name"]?.stringValue } == ["debugger", "second"])
            #expect(pods[path: ["status", "ephemeralContainerStatuses"]]?.arrayValue?.count == 2)
            // The second was not attached to: it still runs, and exec reaches it.
            let statuses = pods[path: ["status", "ephemeralContainerStatuses"]]?.arrayValue ?? []
            #expect(statuses.last?[path: ["state", "running", "startedAt"]] != nil)
            let exec = try await kubectl.run(["exec", "-n", "demo", pod, "-c", "second", "--", "hostname"])
            #expect(exec.out == "\(pod)\n", "\(exec.err)")
        }
    }

    @Test func ephemeralContainersSubresourceRefusesInvalidChanges() async throws {
        try await SimFixture.withServer { server in
            #expect(await SimFixture.waitForDemoPods(server))
            let pod = try Self.nginxPod(server)
            let client = SimClient(server)
            let path = "/api/v1/namespaces/demo/pods/\(pod)/ephemeralcontainers"
            let merge = "application/strategic-merge-patch+json"
            let noImage = try await client.request(
                .PATCH, path, body: ["spec": ["ephemeralContainers": [["name": "dbg"]]]], contentType: merge)
            #expect(noImage.status == 422)
            #expect(noImage.json["message"]?.stringValue?.contains("image: Required value") == true, "\(noImage.json)")
            let badTarget = try await client.request(
                .PATCH, path, body: ["spec": ["ephemeralContainers": [["name": "dbg", "image": "busybox", "targetContainerName": "nope"]]]],
                contentType: merge)
            #expect(badTarget.status == 422)
            let clash = try await client.request(
                .PATCH, path, body: ["spec": ["ephemeralContainers": [["name": "nginx", "image": "busybox"]]]], contentType: merge)
            #expect(clash.status == 422)
            let added = try await client.request(
                .PATCH, path, body: ["spec": ["ephemeralContainers": [["name": "dbg", "image": "busybox"]]]], contentType: merge)
            #expect(added.status == 200, "\(added.json)")
            #expect(added.json[path: ["status", "ephemeralContainerStatuses"]]?.arrayValue?.count == 1)
            let removed = try await client.request(
                .PATCH, path, body: [["op": "remove", "path": "/spec/ephemeralContainers/0"]], contentType: "application/json-patch+json")
            #expect(removed.status == 422)
            #expect(removed.json["message"]?.stringValue?.contains("may not be removed") == true, "\(removed.json)")
            let missing = try await client.request(
                .PATCH, "/api/v1/namespaces/demo/pods/no-such-pod/ephemeralcontainers",
                body: ["spec": ["ephemeralContainers": [["name": "dbg", "image": "busybox"]]]], contentType: merge)
            #expect(missing.status == 404)
        }
    }
}
