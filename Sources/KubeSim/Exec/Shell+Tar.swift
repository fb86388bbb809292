import Foundation

extension Shell {
    /// `tar c|x|t [v][m][f -] [-C DIR] [PATH...]` over the in-memory filesystem, ustar format (what `kubectl cp` uses).
    func tar(_ args: [String], io: ShellIO) async -> Int {
        var mode: Character?
        var directory = cwd
        var paths: [String] = []
        var verbose = false
        var index = 0
        var first = true
        while index < args.count {
            let arg = args[index]
            index += 1
            if arg == "-C" || arg == "--directory" {
                guard index < args.count else { return await fail("tar: option requires an argument -- 'C'", io) }
                directory = MemoryFileSystem.resolve(args[index], cwd: cwd)
                index += 1
            } else if arg.hasPrefix("--") {
                continue
            } else if arg.hasPrefix("-") && arg != "-" || first && !arg.hasPrefix("/") && arg.allSatisfy({ "cxtvmfzpo".contains($0) }) {
                for flag in arg where flag != "-" {
                    switch flag {
                    case "c", "x", "t": mode = flag
                    case "v": verbose = true
                    case "f":
                        if index < args.count, args[index] == "-" { index += 1 }
                    case "z": return await fail("tar: gzip compression is not supported", io)
                    default: break
                    }
                }
            } else if arg != "-" {
                paths.append(arg)
            }
            first = false
        }
        guard case .directory = fs.node(directory) else {
            return await fail("tar: \(directory): Cannot open: No such file or directory", io)
        }
        switch mode {
        case "c":
            var entries: [TarArchive.Entry] = []
            for path in paths {
                let resolved = MemoryFileSystem.resolve(path, cwd: directory)
                let base = path.hasPrefix("/") ? "" : (directory == "/" ? "/" : directory + "/")
                let walked = fs.walk(resolved)
                guard !walked.isEmpty else { return await fail("tar: \(path): Cannot stat: No such file or directory", io) }
                for full in walked {
                    let relative = path.hasPrefix("/") ? String(full.dropFirst()) : String(full.dropFirst(base.count))
                    switch fs.node(full) {
                    case .directory(let mode, let modified):
                        entries.append(.init(name: relative, isDirectory: true, mode: mode, modified: modified))
                    case .file(let contents, let mode, let modified):
                        entries.append(.init(name: relative, isDirectory: false, contents: contents, mode: mode, modified: modified))
                    case nil: continue
                    }
                    if verbose { await io.printError(relative + "\n") }
                }
            }
            await io.output(TarArchive.write(entries))
            return 0
        case "x", "t":
            let data = await io.input.readAll()
            let entries: [TarArchive.Entry]
            do { entries = try TarArchive.read(data) } catch { return await fail("\(error)", io) }
            for entry in entries {
                if mode == "t" {
                    await io.print(entry.name + "\n")
                    continue
                }
                let target = MemoryFileSystem.resolve(entry.name, cwd: directory)
                do {
                    if entry.isDirectory {
                        try fs.makeDirectory(target, parents: true, mode: entry.mode == 0 ? 0o755 : entry.mode)
                    } else {
                        try fs.makeDirectory(MemoryFileSystem.parent(target), parents: true)
                        try fs.write(target, entry.contents, mode: entry.mode == 0 ? 0o644 : entry.mode)
                    }
                } catch {
                    return await fail("tar: \(entry.name): \(error)", io)
                }
                if verbose { await io.print(entry.name + "\n") }
            }
            return 0
        default:
            return await fail("tar: You must specify one of the '-Acdtrux' options", io)
        }
    }

    private func fail(_ message: String, _ io: ShellIO) async -> Int {
        await io.printError(message + "\n")
        return 2
    }
}
