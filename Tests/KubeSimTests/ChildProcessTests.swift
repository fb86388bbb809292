import Foundation
import TestSupport
import Testing

/// The programs the tests start inherit only their standard streams, and are awaited without
/// blocking: the whole suite once stalled on a kubectl that held another test's pipe open.
@Suite struct ChildProcessTests {
    @Test func aChildInheritsOnlyItsStandardStreams() async throws {
        // Foundation's pipes are inheritable: one open here must not reach the child.
        let pipe = Pipe()
        defer { try? pipe.fileHandleForWriting.close() }
        let shell = try await ChildProcess.run("/bin/sh", ["-c", "ls /proc/$$/fd"])
        #expect(shell.status == 0, "\(shell)")
        #expect(Set(shell.output.split(separator: "\n")) == ["0", "1", "2"], "\(shell)")
    }

    @Test func outputInputAndExitStatus() async throws {
        let cat = try await ChildProcess.run(
            "/bin/sh", ["-c", "cat; echo oops >&2; exit 3"], input: Data("hello".utf8))
        #expect(cat.status == 3 && cat.output == "hello" && cat.errorOutput == "oops\n", "\(cat)")
    }

    @Test func aProgramPastItsTimeoutIsKilled() async throws {
        let started = ContinuousClock.now
        let sleeper = try await ChildProcess.run("/bin/sleep", ["30"], timeout: .milliseconds(200))
        #expect(sleeper.status == 128 + SIGKILL)
        #expect(ContinuousClock.now - started < .seconds(10))
    }
}
