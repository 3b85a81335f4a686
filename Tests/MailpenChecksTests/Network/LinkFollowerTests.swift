import NIOCore
import NIOPosix
import Testing

@testable import MailpenChecks
@testable import MailpenChecksNetwork

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

@Suite("Link following", .serialized)
struct LinkFollowerTests {
    /// The test server is on loopback, which only `allowsPrivateAddresses` lets through.
    private let following = LinkFollowing(
        timeout: .seconds(1),
        maximumConcurrency: 4,
        maximumRedirects: 10,
        allowsPrivateAddresses: true
    )

    private func follow(_ urls: [String], timeout: Duration? = nil) async -> [String: LinkReport.LinkStatus] {
        let html = urls.map { "<a href=\"\($0)\">x</a>" }.joined(separator: "\n")
        var checks = TestSupport.checks
        checks.linkFollowing = self.following
        if let timeout { checks.linkFollowing.timeout = timeout }
        let report = await checks.links(
            TestSupport.context(TestSupport.alternative(text: "", html: html)),
            follow: true
        )
        #expect(report.followed)
        var statuses: [String: LinkReport.LinkStatus] = [:]
        for link in report.links {
            statuses[link.url] = link.status
        }
        return statuses
    }

    @Test func statusesRedirectChainsErrorsAndHangs() async throws {
        let server = try await TestHTTPServer.start()
        let refusing = try RefusingPort()
        defer { refusing.release() }
        let refusedPort = refusing.port
        let urls = [
            server.url("/ok"), server.url("/chain/1"), server.url("/missing"), server.url("/error"),
            server.url("/hang"),
            server.url("/no-head"), server.url("/loop"), server.url("/to-ftp"), "http://127.0.0.1:\(refusedPort)/",
            "mailto:x@example.com",
        ]
        let clock = ContinuousClock()
        let start = clock.now
        // A timeout with room for the eleven-hop redirect loop on a loaded machine.
        let statuses = await self.follow(urls, timeout: .seconds(4))
        let elapsed = clock.now - start
        try await server.stop()

        let ok = try #require(statuses[server.url("/ok")])
        #expect(ok.statusCode == 200 && ok.ok && ok.method == "HEAD" && ok.redirects.isEmpty && ok.error == nil)

        let chain = try #require(statuses[server.url("/chain/1")])
        #expect(chain.statusCode == 200 && chain.ok)
        #expect(chain.finalURL == server.url("/ok"))
        #expect(chain.redirects.map(\.statusCode) == [301, 302, 308])
        #expect(chain.redirects.map(\.location) == [server.url("/chain/2"), server.url("/chain/3"), server.url("/ok")])

        #expect(statuses[server.url("/missing")]?.statusCode == 404)
        #expect(statuses[server.url("/missing")]?.ok == false)
        #expect(statuses[server.url("/error")]?.statusCode == 500)

        let hang = try #require(statuses[server.url("/hang")])
        #expect(hang.statusCode == nil && hang.error?.hasPrefix("timeout") == true)

        let noHead = try #require(statuses[server.url("/no-head")])
        #expect(noHead.statusCode == 200 && noHead.method == "GET")

        let loop = try #require(statuses[server.url("/loop")])
        #expect(loop.error == "more than 10 redirects" && loop.redirects.count == 11)

        #expect(statuses[server.url("/to-ftp")]?.error == "redirect to unsupported URL ftp://files.example.com/")
        #expect(statuses["http://127.0.0.1:\(refusedPort)/"]?.error == "connection refused")
        #expect(statuses["mailto:x@example.com"] == nil)
        // The hanging link ends at its timeout instead of holding the run (concurrency has a test of its own).
        // Far above the 4 s timeout, which a loaded machine stretches; without one the hang never ends.
        #expect(elapsed < .seconds(60))
    }

    @Test func concurrencyIsBounded() async throws {
        let server = try await TestHTTPServer.start()
        let urls = (0..<8).map { server.url("/hang?\($0)") }
        let clock = ContinuousClock()
        let start = clock.now
        let statuses = await self.follow(urls)
        let elapsed = clock.now - start
        try await server.stop()
        #expect(statuses.values.allSatisfy { $0.error?.hasPrefix("timeout") == true })
        // 8 hanging links, 4 at a time, 1 s each: two rounds.
        #expect(elapsed >= .milliseconds(1900))
        // …and more than one at a time: one by one would take 8 s.
        #expect(elapsed < .milliseconds(7500))
    }

}

/// A loopback port held by a socket that is bound but not listening: connecting to it is refused, and no other
/// test can take the port while this holds it (a port merely closed again could be reused at once).
private struct RefusingPort {
    let descriptor: Int32
    let port: Int

    init() throws {
        #if canImport(Glibc)
            let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        #else
            let descriptor = socket(AF_INET, SOCK_STREAM, 0)
        #endif
        guard descriptor >= 0 else { throw IOError(errnoCode: errno, reason: "socket") }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(descriptor, $0, length) == 0 && getsockname(descriptor, $0, &length) == 0
            }
        }
        guard bound else {
            let code = errno
            _ = close(descriptor)
            throw IOError(errnoCode: code, reason: "bind")
        }
        self.descriptor = descriptor
        self.port = Int(UInt16(bigEndian: address.sin_port))
    }

    func release() {
        _ = close(descriptor)
    }
}
