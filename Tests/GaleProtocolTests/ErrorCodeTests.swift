import GaleJSON
import GaleProtocol
import Testing

/// Replays `protocol/vectors/error-codes.json`.
@Suite struct ErrorCodeTests {
    @Test(arguments: Vectors.entries("error-codes.json", "codes") + Vectors.entries("error-codes.json", "unknown"))
    func mapsToStatusAndMessage(_ vector: Vector) throws {
        let code = ErrorCode(rawValue: Int(try #require(vector["code"]?.intValue)))
        #expect(Int64(code.httpStatus) == vector["httpStatus"]?.intValue)
        #expect(code.defaultMessage == vector["message"]?.stringValue)
        #expect(code.description == String(code.rawValue))
    }

    @Test func namedCodesHaveTheSeedValues() {
        let named: [(ErrorCode, Int)] = [
            (.ok, 0), (.invalidArgument, 1001), (.clusterNotFound, 1002), (.namespaceNotFound, 1003),
            (.resourceNotFound, 1004), (.forbidden, 1005), (.clusterUnreachable, 1006), (.createFailed, 1007),
            (.updateFailed, 1008), (.deleteFailed, 1009), (.confirmationRequired, 1010), (.unauthenticated, 2001), (.tokenExpired, 2002),
            (.internalError, 5001),
        ]
        for (code, value) in named {
            #expect(code.rawValue == value)
        }
        let listed = Vectors.entries("error-codes.json", "codes").compactMap { $0["code"]?.intValue }
        #expect(listed.map(Int.init) == named.map(\.1))
    }
}
