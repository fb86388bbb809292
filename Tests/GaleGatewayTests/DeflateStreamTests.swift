import CompressNIO
import GaleJSON
import GaleProtocol
import HTTPTypes
import NIOCore
import Synchronization
import Testing
import WSCore

@testable import GaleGateway

/// permessage-deflate's zlib streams exist only once a socket has something to compress, and
/// the response limits both windows. (That compression works both ways over a socket is
/// TransportTests' concern.)
struct DeflateStreamTests {
    @Test("The response asks for 4 KiB windows; the streams are made once, on first use")
    func lazyStreams() throws {
        var headers = HTTPFields()
        headers[.secWebSocketExtensions] = "permessage-deflate; client_max_window_bits"
        let offer = try #require(WebSocketExtensionHTTPParameters.parseHeaders(headers).first)
        let builder = try #require(
            MeteredDeflateBuilder.factory(maxDecompressedSize: 1 << 20, metrics: GatewayMetrics()).build()
                as? MeteredDeflateBuilder)
        #expect(
            builder.serverReponseHeader(to: offer)
                == "permessage-deflate;client_max_window_bits=12;server_max_window_bits=12;server_no_context_takeover")

        let made = Mutex(0)
        let base = builder.base
        let streams = LazyStreams {
            made.withLock { $0 += 1 }
            return try base.serverExtension(from: offer)
        }
        #expect(streams.existing == nil && made.withLock { $0 } == 0)
        let first = try streams.get()
        _ = try streams.get()
        #expect(first?.name == "permessage-deflate" && streams.existing != nil)
        #expect(made.withLock { $0 } == 1)
    }

    @Test("A shared event frame is the prefix, the members compressed once, and the suffix, in one valid DEFLATE stream")
    func sharedEventFrames() throws {
        let object = String(repeating: #"{"name":"web-0","phase":"Running"},"#, count: 60)
        let members = EncodedMembers(#""event":"MODIFIED","object":[\#(object){}],"resourceVersion":"12""#)
        // A client that keeps its inflate context across messages (most do) decodes each in turn.
        let inflater = try ZlibDecompressor(algorithm: .deflate, windowSize: 15)
        for (channel, seq) in [(1, 1), (7, 2), (300, 3)] {
            let prefix = #"{"channel":\#(channel),"#
            let suffix = #","seq":\#(seq),"type":"event"}"#
            var payload = try #require(members.payload(prefix: prefix, suffix: suffix))
            #expect(payload.readableBytes * 4 < members.text.utf8.count)
            payload.writeBytes([0, 0, 0xFF, 0xFF])  // RFC 7692 §7.2.2
            let inflated = try payload.decompressStream(with: inflater, maxSize: 1 << 20)
            let text = String(buffer: inflated)
            #expect(text == prefix + members.text + suffix)
            let frame = try ServerFrame(text: text.utf8)
            guard case .event(let event) = frame else {
                Issue.record("not an event: \(text.prefix(80))")
                continue
            }
            #expect(event.channel == UInt32(channel) && event.seq == UInt64(seq))
        }
        func window(_ offers: [String]) -> Int? {
            var headers = HTTPFields()
            for offer in offers { headers.append(HTTPField(name: .secWebSocketExtensions, value: offer)) }
            return MeteredDeflateBuilder.negotiatedServerWindow(requestHeaders: headers)
        }
        // Shared compressed frames need the full window (12 bits); a client may ask for less.
        #expect(window(["permessage-deflate; client_max_window_bits"]) == SharedDeflate.windowBits)
        #expect(window(["x-webkit-deflate-frame", "permessage-deflate; server_max_window_bits=15"]) == 12)
        #expect(window(["permessage-deflate; server_max_window_bits=10", "permessage-deflate"]) == 10)
        // The library reads one header value as one offer: what it answers is what the writer uses.
        #expect(window(["permessage-deflate; server_max_window_bits=10, permessage-deflate"]) == 12)
        #expect(window(["x-webkit-deflate-frame"]) == nil)
        #expect(window([]) == nil)
    }
}
