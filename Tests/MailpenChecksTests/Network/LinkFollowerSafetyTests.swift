import Synchronization
import Testing

@testable import MailpenChecks
@testable import MailpenChecksNetwork

/// Link following must not let a captured message make Mailpen probe this machine or its
/// networks, follow without bound, or outlive the client that asked.
@Suite("Link following limits", .serialized)
struct LinkFollowerSafetyTests {
    private static let refusedLoopback = "a loopback address; --links-allow-private allows it"

    private func follow(_ urls: [String], _ following: LinkFollowing) async -> [String: LinkReport.LinkStatus] {
        let html = urls.map { "<a href=\"\($0)\">x</a>" }.joined(separator: "\n")
        var checks = TestSupport.checks
        checks.linkFollowing = following
        let context = TestSupport.context(TestSupport.alternative(text: "", html: html))
        let report = await checks.links(context, follow: true)
        var statuses: [String: LinkReport.LinkStatus] = [:]
        for link in report.links {
            statuses[link.url] = link.status
        }
        return statuses
    }

    private static func loopback(_ port: Int) throws -> LinkEndpoint {
        LinkEndpoint(address: try #require(IPAddress(literal: "127.0.0.1")), port: port)
    }

    @Test func linksToThisMachineAreRefusedUnrequestedByDefault() async throws {
        let server = try await TestHTTPServer.start()
        let port = server.port
        let statuses = await self.follow(
            [
                server.url("/ok"), "http://localhost:\(port)/ok", "http://2130706433:\(port)/ok",
                "http://0x7f.1:\(port)/ok", "http://127.1:\(port)/ok", "http://[::ffff:127.0.0.1]:\(port)/ok",
                "http://[::1]:\(port)/ok", "http://0.0.0.0:\(port)/ok", "http://user@127.0.0.1:\(port)/ok",
                "http://10.0.0.1:\(port)/ok", "http://169.254.169.254/latest/meta-data/",
            ],
            LinkFollowing(timeout: .seconds(10))
        )
        try await server.stop()

        let ok = try #require(statuses[server.url("/ok")])
        #expect(ok.error == "refused: 127.0.0.1 is " + Self.refusedLoopback)
        #expect(ok.statusCode == nil && !ok.ok && ok.redirects.isEmpty && ok.finalURL == server.url("/ok"))
        let localhost = try #require(statuses["http://localhost:\(port)/ok"]?.error)
        #expect(localhost.hasPrefix("refused: localhost resolves to ") && localhost.hasSuffix(Self.refusedLoopback))
        #expect(
            statuses["http://2130706433:\(port)/ok"]?.error
                == "refused: 2130706433 is 127.0.0.1, " + Self.refusedLoopback
        )
        #expect(statuses["http://0x7f.1:\(port)/ok"]?.error == "refused: 0x7f.1 is 127.0.0.1, " + Self.refusedLoopback)
        #expect(statuses["http://127.1:\(port)/ok"]?.error == "refused: 127.1 is 127.0.0.1, " + Self.refusedLoopback)
        #expect(
            statuses["http://[::ffff:127.0.0.1]:\(port)/ok"]?.error
                == "refused: ::ffff:127.0.0.1 is " + Self.refusedLoopback
        )
        #expect(statuses["http://[::1]:\(port)/ok"]?.error == "refused: ::1 is " + Self.refusedLoopback)
        #expect(
            statuses["http://0.0.0.0:\(port)/ok"]?.error
                == "refused: 0.0.0.0 is an unspecified address; --links-allow-private allows it"
        )
        #expect(statuses["http://user@127.0.0.1:\(port)/ok"]?.error == "refused: 127.0.0.1 is " + Self.refusedLoopback)
        #expect(
            statuses["http://10.0.0.1:\(port)/ok"]?.error
                == "refused: 10.0.0.1 is a private address; --links-allow-private allows it"
        )
        #expect(
            statuses["http://169.254.169.254/latest/meta-data/"]?.error
                == "refused: 169.254.169.254 is a link-local address; --links-allow-private allows it"
        )
        // Nothing reached the server.
        #expect(server.connectionsAccepted == 0)
    }

    @Test func linksToThisMachineAreFollowedWhenPrivateAddressesAreAllowed() async throws {
        let server = try await TestHTTPServer.start()
        let urls = [server.url("/ok"), "http://localhost:\(server.port)/ok", "http://0x7f.1:\(server.port)/ok"]
        let statuses = await self.follow(urls, LinkFollowing(timeout: .seconds(10), allowsPrivateAddresses: true))
        try await server.stop()
        for url in urls {
            #expect(statuses[url]?.statusCode == 200 && statuses[url]?.ok == true, "\(url)")
        }
        #expect(server.connectionsAccepted == 3)
        // The Host header is the URL's, whatever address was connected to.
        let port = server.port
        #expect(server.requestHosts.sorted() == ["0x7f.1:\(port)", "127.0.0.1:\(port)", "localhost:\(port)"])
    }

    @Test func aRedirectToThisMachineIsRefusedAtTheHop() async throws {
        let allowed = try await TestHTTPServer.start()
        let target = try await TestHTTPServer.start()
        // The first server stands in for a public host: its one endpoint is allowed, every other
        // loopback endpoint stays refused as the default policy refuses them.
        var following = LinkFollowing(timeout: .seconds(10))
        following.allowedPrivateEndpoints = [try Self.loopback(allowed.port)]
        let direct = allowed.url("/redirect?to=\(target.url("/ok"))")
        let odd = allowed.url("/redirect?to=http://0x7f.1:\(target.port)/ok")
        let statuses = await self.follow([direct, odd, allowed.url("/ok"), target.url("/ok")], following)
        try await allowed.stop()
        try await target.stop()

        let hop = try #require(statuses[direct])
        #expect(hop.redirects.map(\.statusCode) == [302])
        #expect(hop.redirects.map(\.location) == [target.url("/ok")])
        #expect(hop.finalURL == target.url("/ok") && hop.statusCode == nil && !hop.ok)
        #expect(hop.error == "refused: 127.0.0.1 is " + Self.refusedLoopback)
        #expect(statuses[odd]?.error == "refused: 0x7f.1 is 127.0.0.1, " + Self.refusedLoopback)
        #expect(statuses[allowed.url("/ok")]?.statusCode == 200)
        #expect(statuses[target.url("/ok")]?.error == "refused: 127.0.0.1 is " + Self.refusedLoopback)
        #expect(allowed.connectionsAccepted == 3)
        #expect(target.connectionsAccepted == 0)
    }

    /// The checked address is the one connected to: the name below resolves only through the
    /// follower's resolver, so the request succeeds only if the HTTP client does not look it up
    /// again (which is also what defeats DNS rebinding between check and connect).
    @Test func theAddressCheckedIsTheAddressConnectedTo() async throws {
        let server = try await TestHTTPServer.start()
        let name = "mailpen-link-test.invalid"
        let resolver = NameResolver([name: ["127.0.0.1"], "rebound.invalid": ["10.1.2.3"]])
        var following = LinkFollowing(timeout: .seconds(10))
        following.allowedPrivateEndpoints = [try Self.loopback(server.port)]
        let follower = LinkFollower(configuration: following, resolver: resolver)

        let pinned = await follower.check("http://\(name):\(server.port)/ok")
        let rebound = await follower.check("http://rebound.invalid:\(server.port)/ok")
        try await server.stop()

        #expect(pinned.statusCode == 200 && pinned.ok && pinned.error == nil)
        #expect(server.requestHosts == ["\(name):\(server.port)"])
        #expect(resolver.lookups == [name, "rebound.invalid"])
        #expect(
            rebound.error
                == "refused: rebound.invalid resolves to 10.1.2.3, a private address; --links-allow-private allows it"
        )
        #expect(server.connectionsAccepted == 1)
    }

    @Test func theNextAddressIsTriedWhenOneRefusesTheConnection() async throws {
        let server = try await TestHTTPServer.start()
        // Nothing listens on 127.0.0.2 (the server is bound to 127.0.0.1): connection refused.
        let resolver = NameResolver(["two.invalid": ["127.0.0.2", "10.0.0.1", "127.0.0.1"]])
        var following = LinkFollowing(timeout: .seconds(10))
        following.allowedPrivateEndpoints = [
            try Self.loopback(server.port),
            LinkEndpoint(address: try #require(IPAddress(literal: "127.0.0.2")), port: server.port),
        ]
        let status = await LinkFollower(configuration: following, resolver: resolver)
            .check("http://two.invalid:\(server.port)/ok")
        try await server.stop()
        #expect(status.statusCode == 200 && status.ok)
        #expect(server.connectionsAccepted == 1)
    }

    @Test func atMost200LinksAreFollowed() async throws {
        let server = try await TestHTTPServer.start()
        let urls = (0..<201).map { server.url("/ok?\($0)") }
        let statuses = await self.follow(urls, LinkFollowing(timeout: .seconds(10), allowsPrivateAddresses: true))
        try await server.stop()
        #expect(urls.prefix(200).allSatisfy { statuses[$0]?.statusCode == 200 })
        let last = try #require(statuses[server.url("/ok?200")])
        #expect(last.error == "not checked: at most 200 links are followed per message")
        #expect(last.statusCode == nil && !last.ok)
        #expect(server.requestHosts.count == 200)
    }

    @Test func linksUnfinishedAtTheDeadlineAreReportedAsTimedOut() async throws {
        let server = try await TestHTTPServer.start()
        // Two at a time: /ok and /hang?1 start, /hang?2 takes the place of /ok, /ok?late never starts.
        let urls = [server.url("/ok"), server.url("/hang?1"), server.url("/hang?2"), server.url("/ok?late")]
        let following = LinkFollowing(
            timeout: .seconds(20),
            maximumConcurrency: 2,
            deadline: .seconds(1),
            allowsPrivateAddresses: true
        )
        let clock = ContinuousClock()
        let start = clock.now
        let statuses = await self.follow(urls, following)
        let elapsed = clock.now - start

        #expect(statuses[server.url("/ok")]?.statusCode == 200)
        for url in [server.url("/hang?1"), server.url("/hang?2")] {
            let status = try #require(statuses[url])
            #expect(status.error == "timeout: following all links is limited to 1.0 seconds")
            #expect(status.statusCode == nil && status.durationMs >= 500)
        }
        #expect(statuses[server.url("/ok?late")]?.error == "not checked: following all links is limited to 1.0 seconds")
        #expect(elapsed >= .milliseconds(950) && elapsed < .seconds(5))
        // The hanging requests were abandoned, their connections closed.
        #expect(await Self.eventually { server.connectionsOpen == 0 })
        #expect(server.connectionsAccepted == 3)
        try await server.stop()
    }

    @Test func cancellingTheCallerStopsOutstandingRequests() async throws {
        let server = try await TestHTTPServer.start()
        let urls = (0..<8).map { server.url("/hang?\($0)") }
        let following = LinkFollowing(
            timeout: .seconds(60),
            maximumConcurrency: 4,
            deadline: .seconds(120),
            allowsPrivateAddresses: true
        )
        let follow = Task { await self.follow(urls, following) }
        #expect(await Self.eventually { server.connectionsOpen == 4 })

        let clock = ContinuousClock()
        let start = clock.now
        follow.cancel()
        let statuses = await follow.value
        // Well below the 60 s timeout the requests would otherwise run to.
        #expect(clock.now - start < .seconds(10))
        #expect(urls.allSatisfy { statuses[$0]?.error == "not checked: cancelled" })
        // Every request in flight was dropped and none of the waiting links was started.
        #expect(await Self.eventually { server.connectionsOpen == 0 })
        #expect(server.connectionsAccepted == 4)
        try await server.stop()
    }

    /// Polls `condition` for up to five seconds.
    private static func eventually(_ condition: () -> Bool) async -> Bool {
        let clock = ContinuousClock()
        let end = clock.now + .seconds(5)
        while clock.now < end {
            if condition() {
                return true
            }
            try? await Task.sleep(for: .milliseconds(10))
        }
        return condition()
    }
}

/// Answers for names no DNS server knows, and records what it was asked.
private final class NameResolver: LinkHostResolving {
    private let answers: [String: [String]]
    private let asked = Mutex<[String]>([])

    init(_ answers: [String: [String]]) {
        self.answers = answers
    }

    var lookups: [String] { self.asked.withLock { $0 } }

    func addresses(of host: String) async throws -> [IPAddress] {
        self.asked.withLock { $0.append(host) }
        guard let answer = self.answers[host] else {
            throw DNSLookupFailure(host: host)
        }
        return answer.compactMap(IPAddress.init(literal:))
    }
}
