import NIOCore
import NIOEmbedded
import Testing

@testable import MailpenHTTP

/// The HTTP connection cap: who makes room for a new connection.
@Suite("HTTP connection cap")
struct HTTPConnectionLimiterTests {
    private static let start = NIODeadline.uptimeNanoseconds(1_000_000_000)

    /// Streams, waits and bodies that trickle in are busy for as long as they last: at a cap full of them,
    /// the one busy longest gives way, once it has been busy a while, so that the UI and health checks still
    /// get in. A request that only just started is not cut for a newcomer.
    @Test func theLongestBusyConnectionMakesRoomWhenNoneIsIdle() {
        let limiter = HTTPConnectionLimiter(maximum: 2)
        let first = EmbeddedChannel()
        Self.open(first, on: limiter, at: 0, busy: true)
        Self.open(EmbeddedChannel(), on: limiter, at: 1, busy: true)

        let early = EmbeddedChannel()
        #expect(limiter.admit(early, now: Self.start + .seconds(3)) === early)
        limiter.remove(early)

        let later = EmbeddedChannel()
        #expect(limiter.admit(later, now: Self.start + .seconds(6)) === first)
        #expect(limiter.count == 2)
    }

    @Test func anIdleConnectionMakesRoomBeforeABusyOne() {
        let limiter = HTTPConnectionLimiter(maximum: 2)
        let idle = EmbeddedChannel()
        Self.open(EmbeddedChannel(), on: limiter, at: 0, busy: true)
        Self.open(idle, on: limiter, at: 1, busy: false)
        let newcomer = EmbeddedChannel()
        #expect(limiter.admit(newcomer, now: Self.start + .seconds(60)) === idle)
    }

    /// A browser opens several connections at once: at a cap full of old streams, each must close a stream,
    /// not the connection opened a moment before it, which has had no time to send its request.
    @Test func aConnectionJustOpenedIsSparedWhileAStreamCanMakeRoom() {
        let limiter = HTTPConnectionLimiter(maximum: 3)
        let streams = [EmbeddedChannel(), EmbeddedChannel()]
        for (offset, stream) in streams.enumerated() { Self.open(stream, on: limiter, at: Int64(offset), busy: true) }
        let first = EmbeddedChannel()
        Self.open(first, on: limiter, at: 10, busy: false)
        let second = EmbeddedChannel()
        #expect(limiter.admit(second, now: Self.start + .milliseconds(10_200)) === streams[0])
        let third = EmbeddedChannel()
        #expect(limiter.admit(third, now: Self.start + .milliseconds(10_400)) === streams[1])
        // Once settled, an idle connection makes room before anything busy.
        #expect(limiter.admit(EmbeddedChannel(), now: Self.start + .seconds(12)) === first)
    }

    /// Admits `channel` `seconds` after the start, with room for it, and starts a request on it if `busy`.
    private static func open(
        _ channel: EmbeddedChannel, on limiter: HTTPConnectionLimiter, at seconds: Int64, busy: Bool
    ) {
        #expect(limiter.admit(channel, now: start + .seconds(seconds)) == nil)
        if busy { limiter.setBusy(channel, true, now: start + .seconds(seconds)) }
    }
}

/// Whether the limiter picked `expected` to close.
private func === (found: (any Channel)?, expected: any Channel) -> Bool {
    found.map { ObjectIdentifier($0) == ObjectIdentifier(expected) } ?? false
}
