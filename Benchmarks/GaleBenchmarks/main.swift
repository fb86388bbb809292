// `swift run -c release kubegale-bench [list-paging] [--pods N]`: prints figures; asserts nothing.
var arguments = Array(CommandLine.arguments.dropFirst())
var paging = ListPagingBenchmark()
if let flag = arguments.firstIndex(of: "--pods"), flag + 1 < arguments.count, let count = Int(arguments[flag + 1]) {
    paging.pods = count
    arguments.removeSubrange(flag...(flag + 1))
}
for name in arguments.isEmpty ? ["list-paging"] : arguments {
    switch name {
    case "list-paging":
        try await paging.run()
    default:
        print("unknown benchmark \(name); available: list-paging")
    }
}
