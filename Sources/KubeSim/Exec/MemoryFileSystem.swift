import Foundation
import Synchronization

/// An in-memory POSIX-like filesystem of one container, used by the built-in shell and `tar`.
public final class MemoryFileSystem: Sendable {
    /// One entry.
    public enum Node: Sendable, Equatable {
        case file(contents: [UInt8], mode: Int, modified: Date)
        case directory(mode: Int, modified: Date)
    }

    /// A filesystem error with a shell-style message (`No such file or directory`).
    public struct FileError: Error, CustomStringConvertible, Sendable {
        public let message: String
        public var description: String { message }
    }

    private let nodes = Mutex<[String: Node]>(["/": .directory(mode: 0o755, modified: Date())])

    public init() {}

    /// Normalises `path` against `cwd` (handles `.`, `..`, repeated slashes).
    public static func resolve(_ path: String, cwd: String = "/") -> String {
        let combined = path.hasPrefix("/") ? path : cwd + "/" + path
        var parts: [Substring] = []
        for part in combined.split(separator: "/") {
            if part == "." || part.isEmpty { continue }
            if part == ".." {
                _ = parts.popLast()
            } else {
                parts.append(part)
            }
        }
        return "/" + parts.joined(separator: "/")
    }

    static func parent(_ path: String) -> String {
        guard let index = path.lastIndex(of: "/"), path != "/" else { return "/" }
        let parent = String(path[..<index])
        return parent.isEmpty ? "/" : parent
    }

    /// The entry at an absolute path.
    public func node(_ path: String) -> Node? { nodes.withLock { $0[path] } }

    /// Whether the path is a directory.
    public func isDirectory(_ path: String) -> Bool {
        if case .directory = node(path) { return true }
        return false
    }

    /// Creates a directory (and its parents when `parents`).
    public func makeDirectory(_ path: String, parents: Bool = false, mode: Int = 0o755) throws {
        try nodes.withLock { nodes throws(FileError) in
            if let existing = nodes[path] {
                if case .directory = existing, parents { return }
                throw FileError(message: "mkdir: can't create directory '\(path)': File exists")
            }
            var missing: [String] = []
            var current = Self.parent(path)
            while nodes[current] == nil {
                guard parents else { throw FileError(message: "mkdir: can't create directory '\(path)': No such file or directory") }
                missing.append(current)
                current = Self.parent(current)
            }
            if case .file = nodes[current] { throw FileError(message: "mkdir: can't create directory '\(path)': Not a directory") }
            for directory in missing.reversed() { nodes[directory] = .directory(mode: 0o755, modified: Date()) }
            nodes[path] = .directory(mode: mode, modified: Date())
        }
    }

    /// Writes (or appends to) a file; the parent directory must exist.
    public func write(_ path: String, _ contents: [UInt8], append: Bool = false, mode: Int = 0o644, modified: Date = Date()) throws {
        try nodes.withLock { nodes throws(FileError) in
            guard case .directory = nodes[Self.parent(path)] else {
                throw FileError(message: "can't create '\(path)': No such file or directory")
            }
            if case .directory = nodes[path] { throw FileError(message: "can't create '\(path)': Is a directory") }
            var data = contents
            var fileMode = mode
            if case .file(let existing, let existingMode, _) = nodes[path] {
                fileMode = existingMode
                if append { data = existing + contents }
            }
            nodes[path] = .file(contents: data, mode: fileMode, modified: modified)
        }
    }

    /// Reads a file.
    public func read(_ path: String) throws -> [UInt8] {
        switch node(path) {
        case .file(let contents, _, _): return contents
        case .directory: throw FileError(message: "\(path): Is a directory")
        case nil: throw FileError(message: "\(path): No such file or directory")
        }
    }

    /// Immediate children names of a directory, sorted.
    public func list(_ path: String) throws -> [String] {
        try nodes.withLock { nodes throws(FileError) in
            guard case .directory = nodes[path] else {
                throw FileError(message: "'\(path)': \(nodes[path] == nil ? "No such file or directory" : "Not a directory")")
            }
            let prefix = path == "/" ? "/" : path + "/"
            return nodes.keys.filter { $0.hasPrefix(prefix) && $0 != path && !$0.dropFirst(prefix.count).contains("/") }
                .map { String($0.dropFirst(prefix.count)) }.sorted()
        }
    }

    /// Removes a file, or a directory tree when `recursive`.
    public func remove(_ path: String, recursive: Bool) throws {
        try nodes.withLock { nodes throws(FileError) in
            guard let node = nodes[path], path != "/" else { throw FileError(message: "can't remove '\(path)': No such file or directory") }
            if case .directory = node {
                let prefix = path + "/"
                let children = nodes.keys.filter { $0.hasPrefix(prefix) }
                guard recursive || children.isEmpty else { throw FileError(message: "'\(path)' is a directory") }
                for child in children { nodes[child] = nil }
            }
            nodes[path] = nil
        }
    }

    /// Every path below `path` (inclusive), parents before children.
    public func walk(_ path: String) -> [String] {
        nodes.withLock { nodes in
            guard nodes[path] != nil else { return [] }
            let prefix = path == "/" ? "/" : path + "/"
            return [path] + nodes.keys.filter { $0.hasPrefix(prefix) && $0 != path }.sorted()
        }
    }

    /// A container filesystem with the usual directories and a few files.
    static func seeded(hostname: String, image: String) -> MemoryFileSystem {
        let fs = MemoryFileSystem()
        for directory in ["/bin", "/etc", "/tmp", "/root", "/var/log", "/usr/bin", "/home", "/data", "/proc"] {
            try? fs.makeDirectory(directory, parents: true)
        }
        try? fs.write("/etc/hostname", Array("\(hostname)\n".utf8))
        try? fs.write("/etc/os-release", Array("NAME=\"KubeSim Linux\"\nID=kubesim\nVERSION_ID=1.0\n".utf8))
        try? fs.write("/etc/hosts", Array("127.0.0.1\tlocalhost\n10.244.0.10\t\(hostname)\n".utf8))
        try? fs.write("/etc/resolv.conf", Array("nameserver 10.96.0.10\nsearch svc.cluster.local cluster.local\n".utf8))
        if image.contains("nginx") {
            try? fs.makeDirectory("/usr/share/nginx/html", parents: true)
            try? fs.write("/usr/share/nginx/html/index.html", Array("<h1>Welcome to nginx on \(hostname)!</h1>\n".utf8))
            try? fs.makeDirectory("/etc/nginx", parents: true)
            try? fs.write("/etc/nginx/nginx.conf", Array("worker_processes auto;\nevents { worker_connections 1024; }\n".utf8))
        }
        return fs
    }
}

/// The filesystems of all containers, created on first use and kept while the simulator lives.
final class FileSystems: Sendable {
    private let systems = Mutex<[String: MemoryFileSystem]>([:])

    func filesystem(podUID: String, container: String, hostname: String, image: String) -> MemoryFileSystem {
        systems.withLock { systems in
            let key = "\(podUID)/\(container)"
            if let existing = systems[key] { return existing }
            let fs = MemoryFileSystem.seeded(hostname: hostname, image: image)
            systems[key] = fs
            return fs
        }
    }
}
