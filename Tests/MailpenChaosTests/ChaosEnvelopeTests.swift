import Testing

@testable import MailpenChaos

/// A session's envelope kept from stage to stage answers as one read afresh at each stage would, while
/// looking at each recipient once per term.
@Suite("Chaos envelope")
struct ChaosEnvelopeTests {
    private static let match = ChaosMatch(
        text: "to:@shop.example -to:ceo@ from:APP@",
        terms: [
            .init(field: .recipient, value: "@shop.example"),
            .init(field: .recipient, value: "ceo@", isNegated: true),
            .init(field: .from, value: "APP@"),
        ])

    @Test func aKeptEnvelopeAnswersAsAFreshOneAtEveryStage() {
        // Two transactions on one session: recipients grow one at a time, then a new transaction (RSET)
        // starts with other recipients, and one more with the same first recipient.
        let stages: [(String?, [String])] = [
            (nil, []),
            ("app@example.com", []),
            ("app@example.com", ["a@other.example"]),
            ("app@example.com", ["a@other.example", "B@Shop.example"]),
            ("app@example.com", ["a@other.example", "B@Shop.example", "x@y.example"]),
            ("app@example.com", ["a@other.example", "B@Shop.example", "x@y.example", "CEO@shop.example"]),
            ("app@example.com", ["a@other.example", "B@Shop.example", "x@y.example", "CEO@shop.example"]),
            ("other@example.com", ["b@shop.example"]),
            ("app@example.com", ["b@shop.example"]),
            ("app@example.com", ["ceo@example.com"]),
            ("app@example.com", ["ceo@example.com", "c@shop.example"]),
        ]
        var kept = ChaosEnvelope()
        var answers: [Bool] = []
        for (mailFrom, recipients) in stages {
            kept.update(mailFrom: mailFrom, recipients: recipients)
            let answer = Self.match.matches(&kept)
            var fresh = ChaosEnvelope(mailFrom: mailFrom, recipients: recipients)
            #expect(answer == Self.match.matches(&fresh), "\(recipients)")
            #expect(kept.recipients == recipients.map { $0.lowercased() })
            answers.append(answer)
        }
        #expect(answers == [false, false, false, true, true, false, false, false, true, false, false])
    }

    @Test func aTermFoundStaysFoundUntilANewTransaction() {
        var envelope = ChaosEnvelope()
        envelope.update(mailFrom: "a@example.com", recipients: ["one@x.example", "two@x.example"])
        let before = envelope.recipientsContain("three")
        #expect(!before)
        envelope.update(mailFrom: "a@example.com", recipients: ["one@x.example", "two@x.example", "three@x.example"])
        let given = envelope.recipientsContain("three")
        #expect(given)
        // Found once, it stays found while the recipients only grow.
        envelope.update(
            mailFrom: "a@example.com", recipients: ["one@x.example", "two@x.example", "three@x.example", "four@x"])
        let still = envelope.recipientsContain("three")
        #expect(still)
        // A new transaction starts over, and with it the routing progress.
        envelope.routing.checked = 4
        envelope.update(mailFrom: "a@example.com", recipients: ["four@x"])
        let afterReset = envelope.recipientsContain("three")
        #expect(!afterReset)
        #expect(envelope.routing == ChaosEnvelope.Routing())
    }
}
