import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import NIOEmbedded
import NIOHTTP1
import Testing

@testable import MailpenHTTP

/// A web socket handshake the browser guard refuses reaches the router as a plain request (Hummingbird's
/// upgrade would answer an empty 400), where the guard answers it.
@Suite("HTTP: refused web socket handshakes")
struct RefusedHandshakeTests {
    static let hosts = AllowedHosts(listeningHost: "127.0.0.1")

    static func handshake(host: String = "127.0.0.1:8025", origin: String? = nil, upgrade: Bool = true)
        -> HTTPRequestHead
    {
        var headers: HTTPHeaders = ["Host": host, "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ=="]
        if upgrade { headers.add(contentsOf: [("Upgrade", "websocket"), ("Connection", "Upgrade")]) }
        if let origin { headers.add(name: "Origin", value: origin) }
        return HTTPRequestHead(version: .http1_1, method: .GET, uri: "/api/events?x=1", headers: headers)
    }

    @Test func theGuardsRefusalsAreRecognisedBeforeTheUpgrade() {
        #expect(
            RefusedHandshakeHandler.isRefused(Self.handshake(origin: "http://evil.example"), allowedHosts: Self.hosts))
        #expect(RefusedHandshakeHandler.isRefused(Self.handshake(host: "evil.example"), allowedHosts: Self.hosts))
        #expect(
            !RefusedHandshakeHandler.isRefused(
                Self.handshake(origin: "http://127.0.0.1:8025"), allowedHosts: Self.hosts))
        #expect(!RefusedHandshakeHandler.isRefused(Self.handshake(), allowedHosts: Self.hosts))
        // Not a handshake: the router's guard alone decides (a cross-site GET is allowed).
        #expect(
            !RefusedHandshakeHandler.isRefused(
                Self.handshake(origin: "http://evil.example", upgrade: false), allowedHosts: Self.hosts))
    }

    @Test func aRefusedHandshakeLosesItsUpgradeAndTheHandlerLeaves() throws {
        let channel = EmbeddedChannel(handler: RefusedHandshakeHandler(allowedHosts: Self.hosts))
        try channel.writeInbound(HTTPServerRequestPart.head(Self.handshake(origin: "http://evil.example")))
        let head = try #require(try channel.readInbound(as: HTTPServerRequestPart.self))
        guard case .head(let passed) = head else {
            Issue.record("expected a head, got \(head)")
            return
        }
        #expect(passed.headers["upgrade"].isEmpty)
        #expect(passed.headers["sec-websocket-key"].count == 1)
        // Gone after the first head: web socket frames (here plain bytes) pass untouched.
        #expect(throws: (any Error).self) {
            try channel.pipeline.syncOperations.context(handlerType: RefusedHandshakeHandler.self)
        }
        try channel.writeInbound(ByteBuffer(string: "frame"))
        #expect(try channel.readInbound(as: ByteBuffer.self) == ByteBuffer(string: "frame"))
        _ = try channel.finish()
    }

    @Test func anAcceptedHandshakeKeepsItsUpgrade() throws {
        let channel = EmbeddedChannel(handler: RefusedHandshakeHandler(allowedHosts: Self.hosts))
        try channel.writeInbound(HTTPServerRequestPart.head(Self.handshake(origin: "http://127.0.0.1:8025")))
        guard case .head(let passed) = try #require(try channel.readInbound(as: HTTPServerRequestPart.self)) else {
            Issue.record("expected a head")
            return
        }
        #expect(passed.headers["upgrade"] == ["websocket"])
        _ = try channel.finish()
    }

    @Test func theRouterRefusesAHandshakeWithoutItsUpgradeHeader() async throws {
        try await withAPI { _, client in
            var headers: HTTPFields = [.origin: "http://evil.example"]
            headers[.secWebSocketKey] = "dGhlIHNhbXBsZSBub25jZQ=="
            let response = try await client.execute(uri: "/api/v1/inboxes", method: .get, headers: headers)
            #expect(response.status == .forbidden)
            #expect(try response.errorMessage.contains("cross-origin"))
        }
    }
}
