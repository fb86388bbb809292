import GaleProtocol
import NIOCore
import Testing

@testable import GaleGateway

/// The tar codec, path checks and archive confinement behind file transfers.
struct FileArchiveTests {
    /// An archive of `members` (name, kind, data, link target) as a container's `tar c` writes it.
    static func archive(_ members: [(String, TarHeader.Kind, [UInt8], String)]) -> ByteBuffer {
        var buffer = ByteBuffer()
        for (name, kind, data, link) in members {
            buffer.writeImmutableBuffer(
                TarHeader(name: name, kind: kind, size: data.count, mode: 0o644, modified: 1_700_000_000, linkTarget: link)
                    .encoded())
            buffer.writeBytes(data)
            buffer.writeRepeatingByte(0, count: TarHeader.padding(after: data.count))
        }
        buffer.writeRepeatingByte(0, count: 2 * TarHeader.blockSize)
        return buffer
    }

    /// Every event of `archive`, fed `step` bytes at a time, with data events merged per member.
    static func read(_ archive: ByteBuffer, step: Int) throws -> [(TarHeader, [UInt8])] {
        var reader = TarReader()
        var members: [(TarHeader, [UInt8])] = []
        var input = archive
        while input.readableBytes > 0 {
            let piece = input.readSlice(length: min(step, input.readableBytes))!
            for event in try reader.feed(piece) {
                switch event {
                case .member(let header): members.append((header, []))
                case .data(let bytes): members[members.count - 1].1 += bytes.readableBytesView
                case .memberEnd, .end: break
                }
            }
        }
        #expect(reader.isEnded)
        return members
    }

    @Test("Headers round-trip through the reader in pieces of any size, long names by ustar prefix or pax")
    func roundTrip() throws {
        let longDirectory = String(repeating: "d", count: 120)
        let unsplittable = String(repeating: "n", count: 180)
        let data = (0..<1500).map { UInt8($0 % 251) }
        let archive = Self.archive([
            ("app", .directory, [], ""),
            ("app/config.yaml", .file, Array("a: 1\n".utf8), ""),
            ("app/\(longDirectory)/file", .file, data, ""),
            ("app/\(unsplittable)", .file, [1, 2, 3], ""),
            ("app/link", .symlink, [], String(repeating: "t", count: 150)),
            ("app/empty", .file, [], ""),
        ])
        for step in [1, 7, 512, 513, 100_000] {
            let members = try Self.read(archive, step: step)
            #expect(members.map(\.0.name) == [
                "app/", "app/config.yaml", "app/\(longDirectory)/file", "app/\(unsplittable)", "app/link", "app/empty",
            ])
            #expect(members[1].1 == Array("a: 1\n".utf8))
            #expect(members[2].1 == data)
            #expect(members[3].1 == [1, 2, 3])
            #expect(members[4].0.kind == .symlink && members[4].0.linkTarget == String(repeating: "t", count: 150))
            #expect(members[5].1.isEmpty && members[5].0.size == 0)
        }
    }

    @Test("A GNU long-name member names the next one; a corrupt header is an error")
    func gnuLongNameAndChecksum() throws {
        let name = "dir/" + String(repeating: "x", count: 200)
        var archive = ByteBuffer()
        var nameData = Array(name.utf8) + [0]
        archive.writeImmutableBuffer(
            TarHeader(name: "././@LongLink", kind: .extension(UInt8(ascii: "L")), size: nameData.count, mode: 0, modified: 0)
                .encoded())
        archive.writeBytes(nameData)
        archive.writeRepeatingByte(0, count: TarHeader.padding(after: nameData.count))
        nameData = [9, 9]
        archive.writeImmutableBuffer(TarHeader(name: "truncated", kind: .file, size: 2, mode: 0o600, modified: 0).encoded())
        archive.writeBytes(nameData)
        archive.writeRepeatingByte(0, count: TarHeader.padding(after: 2) + 1024)
        let members = try Self.read(archive, step: 300)
        #expect(members.count == 1)
        #expect(members[0].0.name == name && members[0].1 == [9, 9] && members[0].0.mode == 0o600)

        var corrupt = Self.archive([("a", .file, [1], "")])
        corrupt.setInteger(UInt8(ascii: "b"), at: 0)
        var reader = TarReader()
        #expect(throws: TarFormatError.self) { _ = try reader.feed(corrupt) }
    }

    @Test("Container paths: absolute, no dot components, no control characters, not the root")
    func containerPaths() throws {
        let file = try ContainerPath("/tmp/upload/report.csv")
        #expect(file.parent == "/tmp/upload" && file.name == "report.csv" && file.description == "/tmp/upload/report.csv")
        let top = try ContainerPath("/data/")
        #expect(top.parent == "/" && top.name == "data" && top.description == "/data")
        for bad in ["relative/file", "/", "//", "/tmp/../etc/passwd", "/tmp/./x", "/tmp//x", "/tmp/a\nb", "/tmp/\u{0}x", ""] {
            #expect(throws: APIError.self, "\(bad.debugDescription)") { try ContainerPath(bad) }
        }
        #expect(throws: APIError.self) { try ContainerPath("/" + String(repeating: "a", count: 256)) }
    }

    @Test("Confinement keeps members under the root and drops escapes by name, symlink or hard link")
    func confinement() {
        let confinement = ArchiveConfinement(root: "site")
        #expect(confinement.check(name: "site/", kind: .directory, linkTarget: "") == .keep("site"))
        #expect(confinement.check(name: "./site/a/../b", kind: .file, linkTarget: "") == .keep("site/b"))
        #expect(confinement.check(name: "site/../../etc/passwd", kind: .file, linkTarget: "").isDrop)
        #expect(confinement.check(name: "/etc/passwd", kind: .file, linkTarget: "").isDrop)
        #expect(confinement.check(name: "other/file", kind: .file, linkTarget: "").isDrop)
        #expect(confinement.check(name: "site-2/file", kind: .file, linkTarget: "").isDrop)
        #expect(confinement.check(name: "site/current", kind: .symlink, linkTarget: "releases/7") == .keep("site/current"))
        #expect(confinement.check(name: "site/a/up", kind: .symlink, linkTarget: "../b") == .keep("site/a/up"))
        #expect(confinement.check(name: "site/escape", kind: .symlink, linkTarget: "../../home").isDrop)
        #expect(confinement.check(name: "site/etc", kind: .symlink, linkTarget: "/etc").isDrop)
        #expect(confinement.check(name: "site/hard", kind: .hardlink, linkTarget: "site/b") == .keep("site/hard"))
        #expect(confinement.check(name: "site/hard", kind: .hardlink, linkTarget: "etc/shadow").isDrop)
    }

    @Test("A directory download is re-archived without escaping members; a file download is its bytes")
    func downloadDecoder() throws {
        let evil = Self.archive([
            ("site/", .directory, [], ""),
            ("site/index.html", .file, Array("<h1>hi</h1>".utf8), ""),
            ("site/../../.bashrc", .file, Array("rm -rf ~".utf8), ""),
            ("site/etc", .symlink, [], "/etc"),
            ("site/ok", .symlink, [], "index.html"),
        ])
        var decoder = DownloadDecoder(name: "site", maxBytes: 1 << 20)
        var output = ByteBuffer()
        var input = evil
        while input.readableBytes > 0 {
            var piece = try decoder.consume(input.readSlice(length: min(100, input.readableBytes))!)
            output.writeBuffer(&piece)
        }
        try decoder.finish()
        #expect(decoder.start == .init(format: .archive, size: nil, filename: "site.tar"))
        let members = try Self.read(output, step: 4096)
        #expect(members.map(\.0.name) == ["site/", "site/index.html", "site/ok"])
        #expect(members[1].1 == Array("<h1>hi</h1>".utf8))
        #expect(decoder.dropped.count == 2)

        var file = DownloadDecoder(name: "notes.txt", maxBytes: 1 << 20)
        var bytes = try file.consume(Self.archive([("notes.txt", .file, Array("remember".utf8), "")]))
        try file.finish()
        #expect(file.start == .init(format: .file, size: 8, filename: "notes.txt"))
        #expect(bytes.readString(length: bytes.readableBytes) == "remember")

        var limited = DownloadDecoder(name: "big", maxBytes: 10)
        #expect(throws: APIError.self) { _ = try limited.consume(Self.archive([("big", .file, Array(repeating: 1, count: 11), "")])) }
        var link = DownloadDecoder(name: "current", maxBytes: 10)
        #expect(throws: APIError.self) { _ = try link.consume(Self.archive([("current", .symlink, [], "/etc")])) }
    }
}

extension ArchiveConfinement.Verdict {
    var isDrop: Bool {
        if case .drop = self { return true }
        return false
    }
}
