import Foundation

extension Shell {
    /// Runs one simple command.
    func runCommand(_ argv: [String], io: ShellIO) async -> Int {
        let name = argv[0].split(separator: "/").last.map(String.init) ?? argv[0]
        let args = Array(argv.dropFirst())
        switch name {
        case "echo": return await echo(args, io: io)
        case "printf":
            guard let format = args.first else { return 0 }
            var text = Self.unescape(format)
            for arg in args.dropFirst() {
                if let range = text.range(of: "%s") { text.replaceSubrange(range, with: arg) }
            }
            await io.print(text.replacingOccurrences(of: "%s", with: ""))
            return 0
        case "cat": return await cat(args, io: io)
        case "ls": return await ls(args, io: io)
        case "env", "printenv":
            if name == "printenv", let key = args.first {
                guard let value = environment[key] else { return 1 }
                await io.print(value + "\n")
                return 0
            }
            await io.print(environment.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)\n" }.joined())
            return 0
        case "export":
            for arg in args {
                if let equals = arg.firstIndex(of: "=") { environment[String(arg[..<equals])] = String(arg[arg.index(after: equals)...]) }
            }
            return 0
        case "pwd":
            await io.print(cwd + "\n")
            return 0
        case "cd":
            let target = MemoryFileSystem.resolve(args.first ?? environment["HOME"] ?? "/", cwd: cwd)
            guard fs.isDirectory(target) else {
                await io.printError("sh: cd: can't cd to \(args.first ?? "")\n")
                return 1
            }
            cwd = target
            return 0
        case "sleep":
            // In slices, so that a hang-up ends it as SIGHUP would.
            let deadline = ContinuousClock.now + .milliseconds(Int((Double(args.first ?? "0") ?? 0) * 1000))
            while ContinuousClock.now < deadline {
                guard !io.hungUp() && !Task.isCancelled else { return 129 }
                try? await Task.sleep(for: min(.milliseconds(100), deadline - ContinuousClock.now))
            }
            return 0
        case "exit":
            exitRequested = args.first.flatMap { Int($0) }.map { $0 & 0xFF } ?? lastStatus
            return exitRequested!
        case "hostname":
            await io.print(hostname + "\n")
            return 0
        case "whoami":
            await io.print("root\n")
            return 0
        case "id":
            await io.print("uid=0(root) gid=0(root) groups=0(root)\n")
            return 0
        case "uname":
            await io.print(args.contains("-a") ? "Linux \(hostname) 6.8.0-57-generic #59-Ubuntu SMP x86_64 GNU/Linux\n" : "Linux\n")
            return 0
        case "date":
            await io.print(KubeTime.format(Date()) + "\n")
            return 0
        case "true", ":": return 0
        case "false": return 1
        case "stty":
            guard hasTerminal else {
                await io.printError("stty: standard input: Not a tty\n")
                return 1
            }
            if args.first == "size" { await io.print("\(terminal.rows) \(terminal.columns)\n") }
            return 0
        case "yes": return await yes(args, io: io)
        case "mkdir": return await mkdir(args, io: io)
        case "rm": return await rm(args, io: io)
        case "touch":
            for path in args where !path.hasPrefix("-") {
                let resolved = MemoryFileSystem.resolve(path, cwd: cwd)
                do { try fs.write(resolved, [], append: true) } catch {
                    await io.printError("touch: \(path): No such file or directory\n")
                    return 1
                }
            }
            return 0
        case "test", "[": return test(name == "[" ? Array(args.dropLast()) : args)
        case "tar": return await tar(args, io: io)
        case "ps":
            await io.print("PID   USER     TIME  COMMAND\n    1 root      0:00 \(hostname.split(separator: "-").first ?? "app")\n")
            return 0
        case "sh", "bash", "ash":
            return await exec(argv, io: io, tty: false)
        default:
            await io.printError("sh: \(argv[0]): not found\n")
            return 127
        }
    }

    static func unescape(_ text: String) -> String {
        text.replacingOccurrences(of: "\\n", with: "\n").replacingOccurrences(of: "\\t", with: "\t")
    }

    private func echo(_ args: [String], io: ShellIO) async -> Int {
        var args = args[...]
        var newline = true
        var escapes = false
        while let flag = args.first, flag == "-n" || flag == "-e" || flag == "-ne" || flag == "-en" {
            if flag.contains("n") { newline = false }
            if flag.contains("e") { escapes = true }
            args.removeFirst()
        }
        let text = args.joined(separator: " ")
        await io.print((escapes ? Self.unescape(text) : text) + (newline ? "\n" : ""))
        return 0
    }

    /// `yes [STRING]`: the line forever, in 16 KiB writes, until the client hangs up. A pause of
    /// a millisecond between writes (at most 16 MB/s) leaves the connection room to take the
    /// client's close frame: the WebSocket server answers it through the same congested writer.
    private func yes(_ args: [String], io: ShellIO) async -> Int {
        let line = Array(((args.isEmpty ? "y" : args.joined(separator: " ")) + "\n").utf8)
        let chunk = Array(repeating: line, count: max(1, 16384 / line.count)).flatMap { $0 }
        while !io.hungUp() && !Task.isCancelled {
            await io.output(chunk)
            try? await Task.sleep(for: .milliseconds(1))
        }
        return 0
    }

    private func cat(_ args: [String], io: ShellIO) async -> Int {
        let files = args.filter { !$0.hasPrefix("-") || $0 == "-" }
        if files.isEmpty || files == ["-"] {
            while let chunk = await io.input.read() { await io.output(chunk) }
            return 0
        }
        var status = 0
        for file in files {
            do { await io.output(try fs.read(MemoryFileSystem.resolve(file, cwd: cwd))) } catch {
                await io.printError("cat: can't open '\(file)': No such file or directory\n")
                status = 1
            }
        }
        return status
    }

    private func ls(_ args: [String], io: ShellIO) async -> Int {
        let flags = args.filter { $0.hasPrefix("-") }.joined()
        let long = flags.contains("l")
        let all = flags.contains("a")
        var paths = args.filter { !$0.hasPrefix("-") }
        if paths.isEmpty { paths = ["."] }
        var status = 0
        for path in paths {
            let resolved = MemoryFileSystem.resolve(path, cwd: cwd)
            guard let node = fs.node(resolved) else {
                await io.printError("ls: \(path): No such file or directory\n")
                status = 1
                continue
            }
            var names: [(String, String)] = []
            if case .directory = node {
                if paths.count > 1 { await io.print("\(path):\n") }
                let children = (try? fs.list(resolved)) ?? []
                names = (all ? [".", ".."] : []).map { ($0, resolved) } + children.filter { all || !$0.hasPrefix(".") }.map {
                    ($0, MemoryFileSystem.resolve($0, cwd: resolved))
                }
            } else {
                names = [(path, resolved)]
            }
            var text = ""
            for (name, full) in names {
                text += long ? longEntry(name, fs.node(full)) : name
                text += "\n"
            }
            await io.print(text)
        }
        return status
    }

    private func longEntry(_ name: String, _ node: MemoryFileSystem.Node?) -> String {
        func permissions(_ mode: Int) -> String {
            let symbols = Array("rwxrwxrwx")
            return String((0..<9).map { mode & (1 << (8 - $0)) != 0 ? symbols[$0] : "-" })
        }
        switch node {
        case .directory(let mode, let modified):
            return "d\(permissions(mode))    2 root     root          4096 \(LogGenerator.commonLogTime(modified).prefix(11)) \(name)"
        case .file(let contents, let mode, let modified):
            let size = String(contents.count)
            return "-\(permissions(mode))    1 root     root  \(String(repeating: " ", count: max(0, 12 - size.count)))\(size) \(LogGenerator.commonLogTime(modified).prefix(11)) \(name)"
        case nil:
            return name
        }
    }

    private func mkdir(_ args: [String], io: ShellIO) async -> Int {
        let parents = args.contains("-p")
        for path in args where !path.hasPrefix("-") {
            do { try fs.makeDirectory(MemoryFileSystem.resolve(path, cwd: cwd), parents: parents) } catch {
                await io.printError("\(error)\n")
                return 1
            }
        }
        return 0
    }

    private func rm(_ args: [String], io: ShellIO) async -> Int {
        let flags = args.filter { $0.hasPrefix("-") }.joined()
        for path in args where !path.hasPrefix("-") {
            do { try fs.remove(MemoryFileSystem.resolve(path, cwd: cwd), recursive: flags.contains("r") || flags.contains("R")) } catch {
                if flags.contains("f") { continue }
                await io.printError("rm: \(error)\n")
                return 1
            }
        }
        return 0
    }

    private func test(_ args: [String]) -> Int {
        switch args.count {
        case 0: return 1
        case 1: return args[0].isEmpty ? 1 : 0
        case 2:
            let path = MemoryFileSystem.resolve(args[1], cwd: cwd)
            switch args[0] {
            case "-d": return fs.isDirectory(path) ? 0 : 1
            case "-f":
                if case .file = fs.node(path) { return 0 }
                return 1
            case "-e": return fs.node(path) != nil ? 0 : 1
            case "-z": return args[1].isEmpty ? 0 : 1
            case "-n": return args[1].isEmpty ? 1 : 0
            case "!": return args[1].isEmpty ? 0 : 1
            default: return 2
            }
        default:
            switch args[1] {
            case "=", "==": return args[0] == args[2] ? 0 : 1
            case "!=": return args[0] != args[2] ? 0 : 1
            case "-eq": return Int(args[0]) == Int(args[2]) ? 0 : 1
            case "-ne": return Int(args[0]) != Int(args[2]) ? 0 : 1
            case "-gt": return (Int(args[0]) ?? 0) > (Int(args[2]) ?? 0) ? 0 : 1
            case "-lt": return (Int(args[0]) ?? 0) < (Int(args[2]) ?? 0) ? 0 : 1
            default: return 2
            }
        }
    }
}
