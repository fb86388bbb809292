// `swift run -c release kubegale-bench COMMAND [options]`: prints figures; asserts nothing.
//
//   fanout        [--sockets 1000] [--deflate] [--events 200] [--window 32 | --rate EVENTS_PER_S]
//                 [--target ws://HOST:PORT --peer-pid PID --peer-name NAME] [--client-threads 1]
//   terminal-rtt  [--keystrokes 2000]
//   log-throughput [--seconds 10] [--lines-per-second 20000]
//   idle-memory   [--sockets 1000] [--mode both|plain|deflate]
//   list-paging   [--pods 5000]
//   reconnect-storm [--sockets 1000] [--missed 5] [--deflate] [--concurrency 512]
//   hold-sockets  (child process of idle-memory)
//
// Every command takes `--json FILE`: its figures are appended to FILE as one JSON line.
// The gateway is a `kubegale serve` process started for each run: the `kubegale` next to this
// binary, or KUBEGALE_BENCH_GATEWAY=PATH (see Support/GatewayProcess.swift).
import Foundation

let usage = "usage: kubegale-bench fanout|terminal-rtt|log-throughput|idle-memory|list-paging|reconnect-storm [options]"
var words = Array(CommandLine.arguments.dropFirst())
let command = words.isEmpty ? "list-paging" : words.removeFirst()
var arguments = BenchArguments(words)
do {
    switch command {
    case "fanout":
        let benchmark = FanoutBenchmark(&arguments)
        try arguments.requireConsumed(command)
        try await benchmark.run()
    case "terminal-rtt":
        let benchmark = TerminalRTTBenchmark(&arguments)
        try arguments.requireConsumed(command)
        try await benchmark.run()
    case "log-throughput":
        let benchmark = LogThroughputBenchmark(&arguments)
        try arguments.requireConsumed(command)
        try await benchmark.run()
    case "idle-memory":
        let benchmark = IdleMemoryBenchmark(&arguments)
        try arguments.requireConsumed(command)
        try await benchmark.run()
    case "hold-sockets":
        let child = HoldSockets(&arguments)
        try arguments.requireConsumed(command)
        try await child.run()
    case "list-paging":
        let benchmark = ListPagingBenchmark(&arguments)
        try arguments.requireConsumed(command)
        try await benchmark.run()
    case "reconnect-storm":
        let benchmark = ReconnectStormBenchmark(&arguments)
        try arguments.requireConsumed(command)
        try await benchmark.run()
    case "proc-cpu":  // diagnostics: CPU time of a process as the benchmarks read it
        let pid = arguments.string("--pid") ?? "self"
        print(ProcessStats.cpuNanoseconds(pid: pid).map { "\($0) ns" } ?? "unreadable")
    default:
        print(usage)
        exit(2)
    }
} catch {
    FileHandle.standardError.write(Data("kubegale-bench \(command): \(error)\n".utf8))
    exit(1)
}
exit(0)
