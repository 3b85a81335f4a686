import Foundation
import Testing

@testable import MailpenStore

@Suite("Message ids")
struct MessageIdentifierTests {
    @Test func monotonicWithinOneMillisecond() {
        var generator = MessageIdentifierGenerator()
        let now = Date()
        let ids = (0..<1000).map { _ in generator.next(at: now) }
        #expect(ids == ids.sorted())
        #expect(Set(ids).count == ids.count)
    }

    @Test func clockGoingBackwardsStillSorts() {
        var generator = MessageIdentifierGenerator()
        let first = generator.next(at: Date(timeIntervalSince1970: 2_000_000))
        let second = generator.next(at: Date(timeIntervalSince1970: 1_000_000))
        #expect(first < second)
    }

    @Test func encodesKnownValue() {
        #expect(MessageIdentifierGenerator.encode(milliseconds: 0, high: 0, low: 0) == "00000000000000000000000000")
        #expect(MessageIdentifierGenerator.encode(milliseconds: 1, high: 0, low: 31) == "0000000001000000000000000Z")
    }
}
