import MailpenChaos
import MailpenSMTPCore
import Testing

@testable import MailpenStore

@Suite("Chaos rule storage")
struct ChaosRuleStoreTests {
    private func chaos(_ store: any MailpenStore) throws -> any ChaosRuleStore & MailpenStore {
        try #require(store as? any ChaosRuleStore & MailpenStore)
    }

    private func rules(inbox: String?, seed: UInt64? = 42) throws -> ChaosRuleSet {
        try ChaosRuleSet(
            inbox: inbox, seed: seed,
            rules: [
                try ChaosRule(
                    stage: .rcpt, reply: ChaosReply(parsing: "550 5.1.1 No such user"), probability: 30, times: 2,
                    match: ChaosMatch(parsing: "from:@shop.example -rcpt:vip")),
                try ChaosRule(stage: .data, delayMilliseconds: 1500),
                try ChaosRule(stage: .message, disconnect: true),
            ])
    }

    @Test(arguments: StoreBackend.available)
    func rulesRoundTripPerScope(backend: StoreBackend) async throws {
        try await withStore(on: backend) { plain in
            let store = try chaos(plain)
            _ = try await store.createInbox(named: "Shop")
            #expect(try await store.chaosRules(inbox: nil) == nil)
            let stored = try await store.setChaosRules(try rules(inbox: "shop"))
            #expect(stored.inbox == "Shop")
            #expect(stored.revision != 0)
            let global = try await store.setChaosRules(try rules(inbox: nil, seed: nil))
            let read = try #require(try await store.chaosRules(inbox: "SHOP"))
            #expect(read == stored)
            #expect(read.seed == 42)
            #expect(read.rules.map(\.position) == [0, 1, 2])
            #expect(read.rules[0].reply?.description == "550 5.1.1 No such user")
            #expect(read.rules[0].match?.text == "from:@shop.example -rcpt:vip")
            #expect(read.rules[1].delayMilliseconds == 1500)
            #expect(read.rules[2].disconnect)
            #expect(try await store.chaosRules(inbox: nil) == global)
            let all = try await store.chaosRuleSets()
            #expect(Set(all.map(\.revision)) == [stored.revision, global.revision])
        }
    }

    @Test(arguments: StoreBackend.available)
    func settingAgainReplacesTheRulesWithANewRevision(backend: StoreBackend) async throws {
        try await withStore(on: backend) { plain in
            let store = try chaos(plain)
            let first = try await store.setChaosRules(try rules(inbox: nil))
            let second = try await store.setChaosRules(
                try ChaosRuleSet(inbox: nil, rules: [try ChaosRule(stage: .connect, disconnect: true)]))
            #expect(first.revision != second.revision)
            #expect(try await store.chaosRules(inbox: nil)?.rules.map(\.stage) == [.connect])
            // Hits recorded for the replaced rules are dropped.
            try await store.recordChaosHits([ChaosHits(revision: first.revision, position: 0, count: 5)])
            #expect(try await store.chaosRules(inbox: nil)?.rules.first?.hits == 0)
            try await store.clearChaosRules(inbox: nil)
            #expect(try await store.chaosRuleSets().isEmpty)
        }
    }

    @Test(arguments: StoreBackend.available)
    func hitsAddUpAndSpentRulesAreRemoved(backend: StoreBackend) async throws {
        try await withStore(on: backend) { plain in
            let store = try chaos(plain)
            let stored = try await store.setChaosRules(try rules(inbox: nil))
            try await store.recordChaosHits([
                ChaosHits(revision: stored.revision, position: 0, count: 1),
                ChaosHits(revision: stored.revision, position: 1, count: 3),
            ])
            var read = try #require(try await store.chaosRules(inbox: nil))
            #expect(read.rules.map(\.hits) == [1, 3, 0])
            try await store.recordChaosHits([ChaosHits(revision: stored.revision, position: 0, count: 1)])
            read = try #require(try await store.chaosRules(inbox: nil))
            // The first rule had times: 2 and is spent; the others keep their positions.
            #expect(read.rules.map(\.position) == [1, 2])
        }
    }

    @Test(arguments: StoreBackend.available)
    func inboxRulesNeedTheInboxAndGoWithIt(backend: StoreBackend) async throws {
        try await withStore(on: backend) { plain in
            let store = try chaos(plain)
            await #expect(throws: StoreError.self) { try await store.setChaosRules(try rules(inbox: "nope")) }
            await #expect(throws: StoreError.self) { try await store.chaosRules(inbox: "nope") }
            _ = try await store.createInbox(named: "temp")
            try await store.setChaosRules(try rules(inbox: "temp"))
            try await store.deleteInbox(named: "temp")
            #expect(try await store.chaosRuleSets().isEmpty)
            _ = try await store.createInbox(named: "temp")
            #expect(try await store.chaosRules(inbox: "temp") == nil)
        }
    }

    @Test(arguments: StoreBackend.available)
    func theInMemoryRulesFollowTheStoreAndRecordHits(backend: StoreBackend) async throws {
        try await withStore(on: backend) { plain in
            let store = try chaos(plain)
            let rules = ChaosRules(store: store)
            #expect(rules.decide(ChaosFacts(stage: .connect)) == nil)
            _ = try await store.createInbox(named: "shop", routes: ["*@shop.example"])
            try await rules.set(
                try ChaosRuleSet(
                    inbox: "shop",
                    rules: [try ChaosRule(stage: .rcpt, reply: ChaosReply(parsing: "451 4.3.0 later"), times: 2)]))
            // Routed by the recipient to the inbox whose rule fires; elsewhere the default inbox has none.
            #expect(rules.decide(ChaosFacts(stage: .rcpt, recipients: ["a@other.example"])) == nil)
            #expect(rules.decide(ChaosFacts(stage: .rcpt, recipients: ["a@shop.example"]))?.reply?.code == 451)
            #expect(rules.decide(ChaosFacts(stage: .rcpt, inbox: "shop"))?.reply?.code == 451)
            #expect(rules.decide(ChaosFacts(stage: .rcpt, inbox: "shop")) == nil)
            // Reading the rules records the hits first; the spent rule is gone.
            #expect(try await rules.rules(inbox: "shop") == nil)
            #expect(rules.decide(ChaosFacts(stage: .rcpt, inbox: "shop")) == nil)
        }
    }

    /// A session's envelope kept from stage to stage routes as one read afresh: the first route (in the
    /// store's order) that any recipient so far matches, also when a later recipient matches an earlier
    /// route, and again from the start in a new transaction.
    @Test(arguments: StoreBackend.available)
    func aKeptEnvelopeRoutesAsAFreshOne(backend: StoreBackend) async throws {
        try await withStore(on: backend) { plain in
            let store = try chaos(plain)
            let rules = ChaosRules(store: store)
            _ = try await store.createInbox(named: "a-shop", routes: ["*@shop.example"])
            _ = try await store.createInbox(named: "b-all", routes: ["*@*.example"])
            for (inbox, code) in [("a-shop", "451"), ("b-all", "452")] {
                try await rules.set(
                    try ChaosRuleSet(
                        inbox: inbox,
                        rules: [try ChaosRule(stage: .rcpt, reply: ChaosReply(parsing: "\(code) 4.3.0 no"))]))
            }
            let stages: [[String]] = [
                ["x@nowhere.test"],
                ["x@nowhere.test", "y@other.example"],
                ["x@nowhere.test", "y@other.example", "z@shop.example"],
                ["x@nowhere.test", "y@other.example", "z@shop.example", "w@other.example"],
                ["y@other.example"],
                ["q@nowhere.test"],
            ]
            var envelope = ChaosEnvelope()
            var codes: [Int?] = []
            for recipients in stages {
                let kept = rules.decide(ChaosFacts(stage: .rcpt, recipients: recipients), envelope: &envelope)
                let fresh = rules.decide(ChaosFacts(stage: .rcpt, recipients: recipients))
                #expect(kept?.reply?.code == fresh?.reply?.code, "\(recipients)")
                codes.append(kept?.reply?.code)
            }
            #expect(codes == [nil, 452, 451, 451, 452, nil])
        }
    }
}
