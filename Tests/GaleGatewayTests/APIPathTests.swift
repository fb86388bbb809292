import HummingbirdCore
import Testing

@testable import GaleGateway

/// How paths and queries of HTTP requests and `request` frames are read.
struct APIPathTests {
    @Test("a query is read as form encoders write it: + is a space, %2B a plus, the last repeat wins")
    func formEncodedQuery() {
        let (path, query) = APIPath.split(
            "/api/v1/kubernetes/alerts/rules?keyword=pod+restarts&label=a%2Bb&empty=&flag&page=1&page=2&%E2%9C%93=%C3%A9"
        )
        #expect(path == "/alerts/rules")
        #expect(query["keyword"] == "pod restarts")
        #expect(query["label"] == "a+b")
        #expect(query["empty"] == "")
        #expect(query["flag"] == "")
        #expect(query["page"] == "2")
        #expect(query["✓"] == "é")
    }

    @Test("a malformed escape is kept as written, for the parameter's own check to refuse")
    func malformedEscape() {
        let (_, query) = APIPath.split("/pods?name=%zz+x&namespace=demo")
        #expect(query["name"] == "%zz x")
        #expect(query["namespace"] == "demo")
    }

    @Test("a path without the API base, or without a path, stays relative to it")
    func relativePaths() {
        #expect(APIPath.split("/clusters?page=2").path == "/clusters")
        #expect(APIPath.split("/api/v1/kubernetes").path == "/")
        #expect(APIPath.split("/api/v1/kubernetesx/pods").path == "/api/v1/kubernetesx/pods")
    }
}
