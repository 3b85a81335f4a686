import Foundation
import Testing

@testable import MailpenStore

/// The tally behind every wait: which matches it answers with, whatever order its lookups finish in.
@Suite("Waits: the tally of matches")
struct WaitMatchesTests {
    private func summary(_ id: String) -> MessageSummary {
        MessageSummary(
            id: id, inbox: "default", receivedAt: Date(), from: nil, to: [], cc: [], subject: "", snippet: "",
            size: 1, attachmentCount: 0, isRead: false, tags: [])
    }

    /// Lookups run side by side: one for a newer message may finish before one for an older message. The
    /// answer is still the oldest matches, so it waits for the lookup that may find an older one.
    @Test("an answer waits for a lookup that may find an older match")
    func lookupsFinishingOutOfOrder() {
        var matches = WaitMatches(count: 2)
        matches.add([summary("a1")])
        let older = matches.beginLookup(of: ["b2"])
        let newer = matches.beginLookup(of: ["c3"])
        matches.add([summary("c3")], from: newer)
        #expect(matches.answer == nil)
        matches.add([summary("b2")], from: older)
        #expect(matches.answer?.map(\.id) == ["b2", "a1"])
    }

    /// A lookup that can only find newer messages does not hold the answer back; a look at the whole
    /// inbox does, until it is over, even when it finds nothing.
    @Test("only lookups that could change the answer hold it back")
    func lookupsThatCannotChangeTheAnswer() {
        var matches = WaitMatches(count: 2)
        matches.add([summary("a1"), summary("b2")])
        let newer = matches.beginLookup(of: ["c3", "d4"])
        #expect(matches.answer?.map(\.id) == ["b2", "a1"])
        let whole = matches.beginLookup(of: nil)
        #expect(matches.answer == nil)
        matches.add([], from: whole)
        #expect(matches.answer?.map(\.id) == ["b2", "a1"])
        matches.add([summary("c3")], from: newer)
        #expect(matches.answer?.map(\.id) == ["b2", "a1"])
    }

    /// A deleted match no longer counts, even when a lookup reports it afterwards.
    @Test("a deletion outlasts a late lookup")
    func deletionBeforeALateLookup() {
        var matches = WaitMatches(count: 1)
        let lookup = matches.beginLookup(of: ["a1"])
        matches.remove(["a1"])
        matches.add([summary("a1")], from: lookup)
        #expect(matches.answer == nil)
        matches.add([summary("b2")])
        #expect(matches.answer?.map(\.id) == ["b2"])
    }
}
