import Foundation

/// What answers on a declared container port of a simulated pod, for `kubectl port-forward`: an HTTP server
/// that returns a small page naming the pod, the container, the port and the requested path (then closes, as
/// `Connection: close` says); bytes that do not start an HTTP request are echoed back until the client closes.
struct SimulatedListener: Sendable {
    let namespace: String
    let pod: String
    let container: String
    let port: Int

    static let methods: Set<String> = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]
    /// Largest request head read before answering 431.
    static let maxHeadBytes = 16 << 10

    /// Serves one forwarded connection: reads `input` until end of input or the answer, writes to `output`.
    func serve(input: InputPipe, output: @Sendable ([UInt8]) async -> Void) async {
        var buffered: [UInt8] = []
        var isHTTP: Bool?
        while let chunk = await input.read() {
            if isHTTP == false {
                await output(chunk)
                continue
            }
            buffered += chunk
            if isHTTP == nil {
                guard let decided = Self.startsHTTPRequest(buffered) else { continue }
                isHTTP = decided
                if !decided {
                    await output(buffered)
                    buffered.removeAll()
                    continue
                }
            }
            if let end = Self.headEnd(buffered) {
                await output(response(to: Array(buffered[..<end])))
                return
            }
            if buffered.count > Self.maxHeadBytes {
                await output(Self.answer(status: "431 Request Header Fields Too Large", body: "request head too large\n", head: false))
                return
            }
        }
        if isHTTP == nil, !buffered.isEmpty { await output(buffered) }
    }

    /// Whether `bytes` begin an HTTP request line; `nil` while too few bytes have arrived to tell.
    static func startsHTTPRequest(_ bytes: [UInt8]) -> Bool? {
        guard let space = bytes.prefix(8).firstIndex(of: UInt8(ascii: " ")) else { return bytes.count >= 8 ? false : nil }
        return methods.contains(String(decoding: bytes[..<space], as: UTF8.self))
    }

    static func headEnd(_ bytes: [UInt8]) -> Int? {
        guard bytes.count >= 4 else { return nil }
        return (0...(bytes.count - 4)).first { bytes[$0] == 13 && bytes[$0 + 1] == 10 && bytes[$0 + 2] == 13 && bytes[$0 + 3] == 10 }
    }

    func response(to head: [UInt8]) -> [UInt8] {
        let requestLine = String(decoding: head.prefix { $0 != 13 }, as: UTF8.self).split(separator: " ")
        let method = requestLine.first.map(String.init) ?? "GET"
        let path = requestLine.count > 1 ? String(requestLine[1]) : "/"
        let name = "\(namespace)/\(pod)"
        let body = """
            <!DOCTYPE html>
            <html><head><title>\(name)</title></head>
            <body><h1>Hello from \(name)</h1>
            <p>KubeSim pod \(pod), container \(container), port \(port), \(method) \(Self.escaped(path))</p></body></html>

            """
        return Self.answer(status: "200 OK", body: body, head: method == "HEAD")
    }

    static func answer(status: String, body: String, head: Bool) -> [UInt8] {
        let bytes = Array(body.utf8)
        let header =
            "HTTP/1.1 \(status)\r\nServer: kubesim\r\nContent-Type: text/html; charset=utf-8\r\n"
            + "Content-Length: \(bytes.count)\r\nConnection: close\r\n\r\n"
        return Array(header.utf8) + (head ? [] : bytes)
    }

    static func escaped(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;")
    }
}
