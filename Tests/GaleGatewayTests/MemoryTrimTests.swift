import Foundation
import Testing

@testable import GaleGateway

@Suite("Memory trim")
struct MemoryTrimTests {
    /// Resident bytes of this process.
    static func residentBytes() throws -> Int {
        let statm = try String(contentsOfFile: "/proc/self/statm", encoding: .utf8).split(separator: " ")
        return try #require(Int(statm[1])) * Int(sysconf(Int32(_SC_PAGESIZE)))
    }

    @Test("memory freed in holes between live blocks goes back to the system when trimmed")
    func freedHolesAreReturned() throws {
        // 96 MiB in 1 KiB blocks; every tenth stays, so the allocator cannot give the rest back
        // by shrinking its top, only page by page from the holes, as a long-running server's are.
        let count = 96 * 1024
        var blocks = (0..<count).map { _ in malloc(1024)! }
        for block in blocks { memset(block, 1, 1024) }
        for index in blocks.indices where index % 10 != 0 { free(blocks[index]) }
        blocks = stride(from: 0, to: count, by: 10).map { blocks[$0] }
        let before = try Self.residentBytes()
        #expect(MemoryTrim.trimNow())
        let after = try Self.residentBytes()
        for block in blocks { free(block) }
        // About 60% of those pages held no live block; other tests allocate meanwhile, so ask for half.
        #expect(before - after > 30 << 20, "resident \(before >> 20) MiB before the trim, \(after >> 20) MiB after")
    }
}
