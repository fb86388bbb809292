import Foundation
import KubeSim
import TestSupport
import Testing

@Suite struct CronScheduleTests {
    @Test func everyFiveMinutes() throws {
        let schedule = try CronSchedule(parsing: "*/5 * * * *")
        let start = KubeTime.parse("2026-01-01T10:02:30Z")!
        #expect(schedule.next(after: start) == KubeTime.parse("2026-01-01T10:05:00Z"))
        #expect(schedule.latest(after: start, until: KubeTime.parse("2026-01-01T10:17:00Z")!) == KubeTime.parse("2026-01-01T10:15:00Z"))
    }

    @Test func ranksListsAndWeekdays() throws {
        let schedule = try CronSchedule(parsing: "30 9-17/4 * * 1-5")
        // 2026-01-03 is a Saturday, 2026-01-05 a Monday.
        #expect(schedule.next(after: KubeTime.parse("2026-01-03T00:00:00Z")!) == KubeTime.parse("2026-01-05T09:30:00Z"))
        #expect(try CronSchedule(parsing: "@hourly").next(after: KubeTime.parse("2026-01-03T00:10:00Z")!) == KubeTime.parse("2026-01-03T01:00:00Z"))
        #expect(throws: SelectorError.self) { try CronSchedule(parsing: "* * *") }
        #expect(throws: SelectorError.self) { try CronSchedule(parsing: "61 * * * *") }
    }

    @Test func timeFormatting() {
        let date = Date(timeIntervalSince1970: 1_767_225_600.25)
        #expect(KubeTime.format(date) == "2026-01-01T00:00:00Z")
        #expect(KubeTime.formatNano(date) == "2026-01-01T00:00:00.25Z")
        #expect(KubeTime.parse("2026-01-01T01:00:00+01:00") == Date(timeIntervalSince1970: 1_767_225_600))
    }
}

@Suite struct TarArchiveTests {
    @Test func roundTrip() throws {
        let long = String(repeating: "d", count: 80) + "/" + String(repeating: "f", count: 60) + ".txt"
        let entries: [TarArchive.Entry] = [
            .init(name: "tmp", isDirectory: true, mode: 0o755, modified: Date(timeIntervalSince1970: 1_700_000_000)),
            .init(name: "tmp/hello.txt", isDirectory: false, contents: Array("hello\n".utf8), mode: 0o644, modified: Date(timeIntervalSince1970: 1_700_000_000)),
            .init(name: long, isDirectory: false, contents: Array(repeating: 7, count: 1500), mode: 0o600, modified: Date(timeIntervalSince1970: 1_700_000_000)),
        ]
        let data = TarArchive.write(entries)
        #expect(data.count % 512 == 0)
        let read = try TarArchive.read(data)
        #expect(read.map(\.name) == ["tmp/", "tmp/hello.txt", long])
        #expect(read[1].contents == Array("hello\n".utf8))
        #expect(read[2].contents.count == 1500)
        #expect(read[2].mode == 0o600)
    }

    @Test func systemTarReadsOurArchive() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("kubesim-tar-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let archive = directory.appendingPathComponent("a.tar")
        try Data(TarArchive.write([
            .init(name: "dir", isDirectory: true, mode: 0o755),
            .init(name: "dir/file.txt", isDirectory: false, contents: Array("content".utf8)),
        ])).write(to: archive)
        let tar = try await ChildProcess.run("/usr/bin/tar", ["xf", archive.path, "-C", directory.path])
        #expect(tar.status == 0, "\(tar)")
        #expect(try String(contentsOf: directory.appendingPathComponent("dir/file.txt"), encoding: .utf8) == "content")
    }
}
