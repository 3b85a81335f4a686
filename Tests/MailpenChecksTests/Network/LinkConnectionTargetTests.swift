import Testing

@testable import MailpenChecks
@testable import MailpenChecksNetwork

/// Where the link follower connects for a URL, and how it resolves hosts.
@Suite("Link connection targets")
struct LinkConnectionTargetTests {
    @Test(arguments: [
        ("http://[::1]:8080/x", "::1", 8080, "[::1]"),
        ("https://[::ffff:127.0.0.1]/", "::ffff:127.0.0.1", 443, "[::ffff:127.0.0.1]"),
        ("HTTPS://user@Example.com/path?q", "Example.com", 443, "Example.com"),
        ("http://0x7f.1/", "0x7f.1", 80, "0x7f.1"),
        ("http://127.0.0.1:0/", "127.0.0.1", 0, "127.0.0.1"),
    ])
    func connectionTargetsAreKeyedAsTheHTTPClientKeysThem(_ url: String, _ host: String, _ port: Int, _ key: String)
        throws
    {
        let target = try #require(LinkConnectionTarget(url: url))
        #expect(target.host == host && target.port == port && target.overrideKey == key)
    }

    @Test func urlsTheHTTPClientWouldRefuseHaveNoTarget() {
        // A port out of range would trap in SocketAddress.
        #expect(LinkConnectionTarget(url: "http://1.2.3.4:99999/") == nil)
        #expect(LinkConnectionTarget(url: "ftp://example.com/") == nil)
        #expect(LinkConnectionTarget(url: "http:///path") == nil)
    }

    @Test func theSystemResolverReadsLiteralsAndResolvesLocalhostToLoopback() async throws {
        let resolver = SystemHostResolver()
        #expect(try await resolver.addresses(of: "2130706433").map(\.description) == ["127.0.0.1"])
        #expect(try await resolver.addresses(of: "::ffff:7f00:1").map(\.description) == ["::ffff:127.0.0.1"])
        let localhost = try await resolver.addresses(of: "localhost")
        #expect(!localhost.isEmpty)
        #expect(localhost.allSatisfy { $0.addressClass == .loopback })
    }
}
