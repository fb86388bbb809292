import Dispatch

/// Clock readings that processes on one machine agree on (Dispatch's uptime clock is
/// CLOCK_MONOTONIC on Linux), so a timestamp written into an event by one process can be
/// compared with the time another one receives it; and CPU times from /proc (clock ticks).
enum Monotonic {
    static func nanoseconds() -> UInt64 {
        DispatchTime.now().uptimeNanoseconds
    }

    /// CPU time of the calling thread (10 ms resolution).
    static func threadCPUNanoseconds() -> UInt64 {
        ProcessStats.cpuNanoseconds(pid: "thread-self") ?? 0
    }

    /// CPU time of the whole process (10 ms resolution).
    static func processCPUNanoseconds() -> UInt64 {
        ProcessStats.cpuNanoseconds(pid: "self") ?? 0
    }
}
