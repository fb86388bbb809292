import Foundation
import KubeSim
import Testing

/// The manifests of `deploy/`, applied with the real `kubectl apply --dry-run=server` against KubeSim:
/// each is accepted and nothing is stored; a manifest with an error is refused. And the Containerfile,
/// checked for what it must do since it cannot be built here.
@Suite(.serialized, .enabled(if: Kubectl.isInstalled)) struct DeployManifestTests {
    /// Computed: each test gets a port of its own, or parallel tests would wait for each other's.
    static var tls: KubeSimServer.Configuration { SimFixture.configuration(seed: false, tls: true) }

    /// `deploy/` in this checkout.
    static let deploy: URL = {
        var folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        while folder.path != "/" {
            let candidate = folder.appendingPathComponent("deploy")
            if FileManager.default.fileExists(atPath: candidate.appendingPathComponent("Containerfile").path) {
                return candidate
            }
            folder.deleteLastPathComponent()
        }
        return URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../deploy")
    }()

    /// The manifests of a folder of `deploy/`, in the order `kubectl apply -f` takes them.
    static func manifests(_ folder: URL) throws -> [URL] {
        try FileManager.default.contentsOfDirectory(at: folder, includingPropertiesForKeys: nil)
            .filter { ["yaml", "yml", "json"].contains($0.pathExtension) }
            .sorted { $0.lastPathComponent < $1.lastPathComponent }
    }

    /// Runs kubectl with its output going to files, read once it has exited: a large `-o json` is
    /// then whole however late the pipe would have delivered it.
    static func run(_ kubectl: Kubectl, _ arguments: [String]) async throws -> (status: Int32, out: String, err: String) {
        let base = NSTemporaryDirectory() + "kubectl-\(UUID().uuidString)"
        FileManager.default.createFile(atPath: base + ".out", contents: nil)
        FileManager.default.createFile(atPath: base + ".err", contents: nil)
        defer {
            try? FileManager.default.removeItem(atPath: base + ".out")
            try? FileManager.default.removeItem(atPath: base + ".err")
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/kubectl")
        process.arguments = ["--kubeconfig", kubectl.kubeconfig] + arguments
        process.environment = ["HOME": NSTemporaryDirectory(), "PATH": "/usr/bin:/bin"]
        process.standardOutput = try FileHandle(forWritingTo: URL(fileURLWithPath: base + ".out"))
        process.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: base + ".err"))
        process.standardInput = FileHandle.nullDevice
        let status: Int32 = try await withCheckedThrowingContinuation { continuation in
            process.terminationHandler = { continuation.resume(returning: $0.terminationStatus) }
            do { try process.run() } catch {
                process.terminationHandler = nil
                continuation.resume(throwing: error)
            }
        }
        return (
            status, try String(contentsOfFile: base + ".out", encoding: .utf8),
            try String(contentsOfFile: base + ".err", encoding: .utf8)
        )
    }

    /// The objects a dry-run `kubectl apply -o json` printed: one object or a `List`.
    static func objects(_ output: String) throws -> [JSONValue] {
        let value = try JSONValue(parsing: output)
        if value["kind"]?.stringValue == "List" { return value["items"]?.arrayValue ?? [] }
        return [value]
    }

    /// Whether the store holds the object `kubectl` described.
    static func isStored(_ object: JSONValue, in server: KubeSimServer) -> Bool {
        guard let apiVersion = object["apiVersion"]?.stringValue, let kind = object["kind"]?.stringValue,
            let type = ResourceCatalog.find(apiVersion: apiVersion, kind: kind),
            let name = object[path: ["metadata", "name"]]?.stringValue
        else { return false }
        return (try? server.store.get(type, namespace: object[path: ["metadata", "namespace"]]?.stringValue, name: name))
            != nil
    }

    @Test func everyManifestIsAcceptedByServerDryRunAndNothingIsStored() async throws {
        try await SimFixture.withServer(Self.tls) { server in
            let kubectl = try Kubectl(server)
            let files = try Self.manifests(Self.deploy) + Self.manifests(Self.deploy.appendingPathComponent("optional"))
            try #require(files.first?.lastPathComponent == "00-namespace.yaml", "the namespace must come first")
            var kinds: Set<String> = []
            for file in files {
                let result = try await Self.run(kubectl, ["apply", "--dry-run=server", "-f", file.path, "-o", "json"])
                #expect(result.status == 0, "\(file.lastPathComponent): \(result.err)")
                let objects = try Self.objects(result.out)
                #expect(!objects.isEmpty, "\(file.lastPathComponent) holds no object")
                for object in objects {
                    kinds.insert("\(object["apiVersion"]?.stringValue ?? "")/\(object["kind"]?.stringValue ?? "")")
                    #expect(!Self.isStored(object, in: server), "\(file.lastPathComponent): a dry run stored \(object)")
                }
                if file.lastPathComponent == "00-namespace.yaml" {
                    // Like a real apiserver, KubeSim refuses even a dry-run create into a namespace that
                    // does not exist: create it for real, as `kubectl apply -f deploy/` does first.
                    let created = try await kubectl.run("apply", "-f", file.path)
                    #expect(created.status == 0, "\(created.err)")
                }
            }
            #expect(
                kinds.isSuperset(of: [
                    "v1/Namespace", "v1/ServiceAccount", "rbac.authorization.k8s.io/v1/ClusterRole",
                    "rbac.authorization.k8s.io/v1/ClusterRoleBinding", "v1/Secret", "apps/v1/Deployment", "v1/Service",
                    "policy/v1/PodDisruptionBudget", "networking.k8s.io/v1/Ingress",
                ]), "\(kinds.sorted())")

            // The whole folder at once, as the README says to check it.
            let folder = try await kubectl.run("apply", "--dry-run=server", "-f", Self.deploy.path)
            #expect(folder.status == 0, "\(folder.err)")
            #expect(folder.out.contains("deployment.apps/kubegale created (server dry run)"), "\(folder.out)")
            #expect(folder.out.contains("poddisruptionbudget.policy/kubegale created (server dry run)"), "\(folder.out)")
            #expect(throws: KubeStatusError.self) {
                try server.store.get(ResourceCatalog.deployments, namespace: "kubegale", name: "kubegale")
            }
        }
    }

    /// A dry-run apply over an object that exists is a PATCH with `dryRun=All`: answered as if
    /// patched, nothing stored. Client-side apply sends a strategic merge patch (the Service's port
    /// list merged by its key `port`), server-side apply the applied configuration.
    @Test func dryRunOverAnExistingObjectChangesNothing() async throws {
        try await SimFixture.withServer(Self.tls) { server in
            let kubectl = try Kubectl(server)
            let namespace = try await kubectl.run("apply", "-f", Self.deploy.appendingPathComponent("00-namespace.yaml").path)
            #expect(namespace.status == 0, "\(namespace.err)")
            let cases: [(file: String, mode: [String], type: ResourceType, edit: (String, String), check: @Sendable (JSONValue) -> Bool)] = [
                (
                    "50-service.yaml", [], ResourceCatalog.services, ("port: 80\n", "port: 81\n"),
                    { $0[path: ["spec", "ports"]]?.arrayValue?.compactMap { $0["port"]?.intValue } == [81] }
                ),
                (
                    "10-serviceaccount.yaml", ["--server-side"], ResourceCatalog.serviceAccounts,
                    ("part-of: kubegale-realtime\n", "part-of: elsewhere\n"),
                    { $0[path: ["metadata", "labels", "app.kubernetes.io/part-of"]]?.stringValue == "elsewhere" }
                ),
            ]
            for test in cases {
                let manifest = Self.deploy.appendingPathComponent(test.file)
                let created = try await kubectl.run(["apply"] + test.mode + ["-f", manifest.path])
                #expect(created.status == 0, "\(test.file): \(created.err)")
                let before = try server.store.get(test.type, namespace: "kubegale", name: "kubegale")

                let original = try String(contentsOf: manifest, encoding: .utf8)
                let changed = original.replacingOccurrences(of: test.edit.0, with: test.edit.1)
                try #require(changed != original, "the edit of \(test.file) did not apply")
                let file = NSTemporaryDirectory() + "deploy-\(UUID().uuidString).yaml"
                try changed.write(toFile: file, atomically: true, encoding: .utf8)
                defer { try? FileManager.default.removeItem(atPath: file) }
                let result = try await Self.run(kubectl, ["apply", "--dry-run=server"] + test.mode + ["-f", file, "-o", "json"])
                #expect(result.status == 0, "\(test.file): \(result.err)")
                let answered = try #require(try Self.objects(result.out).first)
                #expect(test.check(answered), "\(test.file): \(answered)")
                let after = try server.store.get(test.type, namespace: "kubegale", name: "kubegale")
                #expect(after == before, "\(test.file): a dry run changed the stored object")
            }
        }
    }

    @Test func aManifestWithAnErrorIsRefused() async throws {
        try await SimFixture.withServer(Self.tls) { server in
            let kubectl = try Kubectl(server)
            let namespace = try await kubectl.run("apply", "-f", Self.deploy.appendingPathComponent("00-namespace.yaml").path)
            #expect(namespace.status == 0, "\(namespace.err)")
            let deployment = try String(
                contentsOf: Self.deploy.appendingPathComponent("40-deployment.yaml"), encoding: .utf8)
            let directory = NSTemporaryDirectory() + "deploy-broken-\(UUID().uuidString)"
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(atPath: directory) }

            // The selector no longer matches the pod template's labels: the apiserver's classic refusal.
            let mismatched = directory + "/mismatched.yaml"
            try deployment.replacingOccurrences(
                of: "app.kubernetes.io/component: gateway\n  strategy:", with: "app.kubernetes.io/component: other\n  strategy:")
                .write(toFile: mismatched, atomically: true, encoding: .utf8)
            try #require(try String(contentsOfFile: mismatched, encoding: .utf8) != deployment, "the edit did not apply")
            let refused = try await kubectl.run("apply", "--dry-run=server", "-f", mismatched)
            #expect(refused.status != 0)
            #expect(refused.err.contains("`selector` does not match template `labels`"), "\(refused.err)")

            // Into a namespace that does not exist.
            let elsewhere = directory + "/elsewhere.yaml"
            try deployment.replacingOccurrences(of: "namespace: kubegale", with: "namespace: nowhere")
                .write(toFile: elsewhere, atomically: true, encoding: .utf8)
            let missing = try await kubectl.run("apply", "--dry-run=server", "-f", elsewhere)
            #expect(missing.status != 0)
            #expect(missing.err.contains("namespaces \"nowhere\" not found"), "\(missing.err)")

            // A disruption budget with both bounds.
            let budget = directory + "/budget.yaml"
            let pdb = try String(contentsOf: Self.deploy.appendingPathComponent("60-poddisruptionbudget.yaml"), encoding: .utf8)
            try pdb.replacingOccurrences(of: "  maxUnavailable: 1\n", with: "  maxUnavailable: 1\n  minAvailable: 2\n")
                .write(toFile: budget, atomically: true, encoding: .utf8)
            let both = try await kubectl.run("apply", "--dry-run=server", "-f", budget)
            #expect(both.status != 0)
            #expect(both.err.contains("minAvailable and maxUnavailable cannot be both set"), "\(both.err)")

            #expect(throws: KubeStatusError.self) {
                try server.store.get(ResourceCatalog.deployments, namespace: "kubegale", name: "kubegale")
            }
            #expect(throws: KubeStatusError.self) {
                try server.store.get(ResourceCatalog.podDisruptionBudgets, namespace: "kubegale", name: "kubegale")
            }
        }
    }

    /// The Containerfile builds the static release binary and runs it as a non-root user, the user the
    /// Deployment runs as; everything it copies exists. (No container runtime here: the build itself
    /// happens elsewhere, see deploy/README.md.)
    @Test func containerfileBuildsTheStaticReleaseBinaryAsNonRoot() throws {
        let text = try String(contentsOf: Self.deploy.appendingPathComponent("Containerfile"), encoding: .utf8)
        // Instructions, with continuation lines joined and comments dropped.
        let instructions = text.replacingOccurrences(of: "\\\n", with: " ")
            .split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }
            .filter { !$0.isEmpty && !$0.hasPrefix("#") }
        func all(_ keyword: String) -> [String] {
            instructions.filter { $0.uppercased().hasPrefix(keyword + " ") }.map { String($0.dropFirst(keyword.count + 1)) }
        }
        let stages = all("FROM")
        #expect(stages.count == 2, "\(stages)")
        #expect(stages.first?.hasSuffix(" AS build") == true)
        let build = all("RUN").filter { $0.contains("swift build") }
        #expect(build.contains { $0.contains("swift build -c release --product kubegale --static-swift-stdlib") }, "\(build)")
        #expect(all("COPY").contains { $0.hasPrefix("--from=build ") })

        let user = try #require(all("USER").last, "no USER: the image would run as root")
        let uid = user.split(separator: ":").first.map(String.init) ?? ""
        #expect(uid != "0" && uid != "root", "runs as \(user)")
        #expect(all("ENTRYPOINT").last?.contains("kubegale") == true)

        let root = Self.deploy.deletingLastPathComponent()
        for copy in all("COPY") where !copy.hasPrefix("--from") {
            let sources = copy.split(separator: " ").dropLast()
            for source in sources {
                #expect(FileManager.default.fileExists(atPath: root.appendingPathComponent(String(source)).path), "COPY \(source)")
            }
        }
        let deployment = try String(contentsOf: Self.deploy.appendingPathComponent("40-deployment.yaml"), encoding: .utf8)
        #expect(deployment.contains("runAsUser: \(uid)\n"), "the Deployment runs as another user than the image's \(uid)")
        for required in [
            "replicas: 3", "runAsNonRoot: true", "readOnlyRootFilesystem: true", "allowPrivilegeEscalation: false",
            "livenessProbe:", "readinessProbe:", "requests:", "limits:", "drop: [\"ALL\"]", "KUBEGALE_IN_CLUSTER",
        ] {
            #expect(deployment.contains(required), "the Deployment lacks \(required)")
        }
    }
}
