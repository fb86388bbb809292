import GaleProtocol
/// An absolute path in a container's filesystem, checked before it reaches `tar`: absolute, no
/// `.` or `..` components, no empty names, no NUL or control characters, and not `/` itself.
///
/// The path is passed to `tar` as separate arguments (`-C parent name`), never through a shell,
/// so no quoting is involved; the checks keep what is written or read exactly where the caller
/// named it.
struct ContainerPath: Sendable, Hashable, CustomStringConvertible {
    /// The directory holding the file, absolute (`/` for a file at the root).
    let parent: String
    /// The last component: the file or directory transferred.
    let name: String

    /// Longest path accepted (Linux `PATH_MAX`).
    static let maxLength = 4096

    var description: String { parent == "/" ? "/" + name : parent + "/" + name }

    init(_ path: String) throws(APIError) {
        guard path.hasPrefix("/") else { throw .invalidArgument("path \"\(path)\" must be absolute") }
        guard path.utf8.count <= Self.maxLength else {
            throw .invalidArgument("path is longer than \(Self.maxLength) bytes")
        }
        guard !path.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F }) else {
            throw .invalidArgument("path must not contain control characters")
        }
        var components = path.split(separator: "/", omittingEmptySubsequences: false).dropFirst()
        if components.last == "" { components.removeLast() }  // a trailing slash names the same directory
        guard let last = components.last else { throw .invalidArgument("path must name a file or directory below /") }
        for component in components {
            guard !component.isEmpty else { throw .invalidArgument("path \"\(path)\" has an empty component") }
            guard component != ".", component != ".." else {
                throw .invalidArgument("path \"\(path)\" must not contain \".\" or \"..\" components")
            }
            guard component.utf8.count <= 255 else { throw .invalidArgument("a component of the path is longer than 255 bytes") }
        }
        name = String(last)
        parent = "/" + components.dropLast().joined(separator: "/")
    }
}

/// Keeps the members of an archive inside the directory it was made from: `root` (the
/// downloaded directory's name) or below it.
///
/// What a container sends cannot be trusted to be tidy — a compromised image can put
/// `../../.bashrc` or a symbolic link to `/etc` in an archive, and whoever extracts the download
/// would write outside their target directory. Like `kubectl cp`, members whose name leaves the
/// root are dropped, and so are links whose target does.
struct ArchiveConfinement: Sendable {
    let root: String

    enum Verdict: Equatable {
        /// Keep the member under this (cleaned) name.
        case keep(String)
        /// Drop the member, for this reason.
        case drop(String)
    }

    /// What to do with a member named `name`, of `kind`, linking to `linkTarget`.
    func check(name: String, kind: TarHeader.Kind, linkTarget: String) -> Verdict {
        guard let cleaned = Self.relative(name), cleaned == root || cleaned.hasPrefix(root + "/") else {
            return .drop("\(name) is outside \(root)")
        }
        switch kind {
        case .symlink:
            // Relative to the link's directory; an absolute target always leaves the archive.
            guard !linkTarget.hasPrefix("/") else { return .drop("\(name) links to the absolute path \(linkTarget)") }
            let directory = cleaned.split(separator: "/").dropLast().joined(separator: "/")
            let resolved = directory.isEmpty ? linkTarget : directory + "/" + linkTarget
            guard let target = Self.relative(resolved), target == root || target.hasPrefix(root + "/") else {
                return .drop("\(name) links to \(linkTarget), outside \(root)")
            }
        case .hardlink:
            // Named from the archive's root, like members.
            guard let target = Self.relative(linkTarget), target == root || target.hasPrefix(root + "/") else {
                return .drop("\(name) is a hard link to \(linkTarget), outside \(root)")
            }
        default:
            break
        }
        return .keep(cleaned)
    }

    /// `path` with `.` components and repeated slashes removed and `..` applied; `nil` when it is
    /// absolute or climbs above its start.
    static func relative(_ path: String) -> String? {
        guard !path.hasPrefix("/") else { return nil }
        var kept: [Substring] = []
        for component in path.split(separator: "/") {
            switch component {
            case ".": continue
            case "..":
                guard kept.popLast() != nil else { return nil }
            default: kept.append(component)
            }
        }
        return kept.isEmpty ? nil : kept.joined(separator: "/")
    }
}
