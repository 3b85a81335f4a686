import Foundation
import MailpenTestSupport
import Testing

@testable import MailpenPostgres
@testable import MailpenStore

/// The relay delivery queue, the same on both backends: what is queued is claimed once, attempts are
/// recorded, retries come due, auto-relay rules belong to their inbox. On PostgreSQL, several nodes share
/// the queue: they never claim the same delivery, and a node that stops loses its claims when its lease
/// runs out.
@Suite("Delivery queue")
struct DeliveryQueueTests {
    static func queue(_ store: any MailpenStore) throws -> any DeliveryQueue {
        try #require(store as? any DeliveryQueue)
    }

    static func sent(_ delivery: Delivery, at date: Date) -> DeliveryAttemptResult {
        DeliveryAttemptResult(
            deliveryID: delivery.id, status: .sent,
            recipients: delivery.recipients.map { .init(address: $0.address, status: .sent, reply: "250 ok") },
            attempt: .init(at: date, outcome: "sent", reply: "250 ok", error: nil), nextAttemptAt: nil)
    }

    static func deferred(_ delivery: Delivery, at date: Date, until next: Date) -> DeliveryAttemptResult {
        DeliveryAttemptResult(
            deliveryID: delivery.id, status: .queued,
            recipients: delivery.recipients.map { .init(address: $0.address, status: .queued, reply: "451 later") },
            attempt: .init(at: date, outcome: "deferred", reply: "451 later", error: nil), nextAttemptAt: next)
    }

    @Test("a queued delivery is claimed once, then recorded", arguments: StoreBackend.available)
    func claimedOnceAndRecorded(backend: StoreBackend) async throws {
        try await withStore(on: backend) { store in
            let queue = try Self.queue(store)
            let message = try await store.store(incoming("Subject: go\r\n\r\nx\r\n"))
            let now = Date()
            let queued = try await queue.enqueue(
                [DeliveryRequest(messageID: message.id, relay: "mx", recipients: ["a@x.example", "b@x.example"])],
                at: now)
            #expect(queued.map(\.status) == [.queued])
            #expect(queued.first?.inbox == "default")

            let claimed = try await queue.claimDueDeliveries(now: now, limit: 10)
            #expect(claimed.map(\.id) == queued.map(\.id))
            #expect(claimed.first?.status == .sending)
            #expect(try await queue.claimDueDeliveries(now: now.addingTimeInterval(1), limit: 10).isEmpty)

            let delivery = try #require(claimed.first)
            let recorded = try await queue.recordAttempts([Self.sent(delivery, at: now)])
            #expect(recorded.map(\.status) == [.sent])
            let stored = try #require(try await queue.delivery(id: delivery.id))
            #expect(stored.status == .sent)
            #expect(stored.attempts == 1)
            #expect(stored.recipients.map(\.status) == [.sent, .sent])
            #expect(stored.history.map(\.reply) == ["250 ok"])
            #expect(try await queue.deliveries(messageID: message.id).map(\.id) == [delivery.id])
            #expect(try await queue.deliveries(status: .sent, relay: "mx", limit: 10).map(\.id) == [delivery.id])
            #expect(try await queue.deliveries(status: .queued, relay: nil, limit: 10).isEmpty)
            #expect(try await queue.deliveries(status: nil, relay: "other", limit: 10).isEmpty)
            #expect(try await queue.nextDueDate() == nil)
        }
    }

    @Test("a deferred delivery comes due again at its next attempt", arguments: StoreBackend.available)
    func deferredComesDueLater(backend: StoreBackend) async throws {
        try await withStore(on: backend) { store in
            let queue = try Self.queue(store)
            let message = try await store.store(incoming("Subject: later\r\n\r\nx\r\n"))
            let now = Date(timeIntervalSince1970: 1_800_000_000)
            _ = try await queue.enqueue(
                [DeliveryRequest(messageID: message.id, relay: "mx", recipients: ["a@x.example"])], at: now)
            let delivery = try #require(try await queue.claimDueDeliveries(now: now, limit: 1).first)
            let next = now.addingTimeInterval(30)
            _ = try await queue.recordAttempts([Self.deferred(delivery, at: now, until: next)])

            #expect(try await queue.nextDueDate() == next)
            #expect(try await queue.claimDueDeliveries(now: now.addingTimeInterval(29), limit: 5).isEmpty)
            let again = try await queue.claimDueDeliveries(now: next, limit: 5)
            #expect(again.map(\.id) == [delivery.id])
            #expect(again.first?.attempts == 1)
            #expect(again.first?.lastReply == "451 later")
        }
    }

    @Test("a relay's claims stop at its share, and the other relays' come first", arguments: StoreBackend.available)
    func claimsStopAtARelaysShare(backend: StoreBackend) async throws {
        try await withStore(on: backend) { store in
            let queue = try Self.queue(store)
            let message = try await store.store(incoming("Subject: share\r\n\r\nx\r\n"))
            let now = Date(timeIntervalSince1970: 1_800_000_000)
            // Ten to a relay that hangs, due first; then two to another relay, and one to it not due yet.
            let hanging = try await queue.enqueue(
                (0..<10).map {
                    DeliveryRequest(messageID: message.id, relay: "hang", recipients: ["h\($0)@x.example"])
                },
                at: now)
            let team = try await queue.enqueue(
                (0..<2).map { DeliveryRequest(messageID: message.id, relay: "team", recipients: ["t\($0)@x.example"]) },
                at: now.addingTimeInterval(1))
            let later = try await queue.enqueue(
                [DeliveryRequest(messageID: message.id, relay: "team", recipients: ["l@x.example"])],
                at: now.addingTimeInterval(60))
            let share = RelayShare(perRelay: 3)
            let claim = now.addingTimeInterval(2)

            let first = try await queue.claimDueDeliveries(now: claim, limit: 100, share: share)
            #expect(first.map(\.id) == hanging.prefix(3).map(\.id) + team.map(\.id))
            // The hanging relay has its share claimed; `team` has two under way and one not due.
            #expect(try await queue.claimDueDeliveries(now: claim, limit: 100, share: share).isEmpty)
            #expect(try await queue.nextDueDate(share: share) == now.addingTimeInterval(60))
            #expect(try await queue.nextDueDate() == now)

            // One of the hanging relay's attempts is recorded: the next claim takes one more of its own.
            _ = try await queue.recordAttempts([
                Self.deferred(first[0], at: claim, until: claim.addingTimeInterval(3600))
            ])
            #expect(
                try await queue.claimDueDeliveries(now: claim, limit: 100, share: share).map(\.id) == [hanging[3].id])
            // A share past the limit takes the limit, earliest due first, from any relay.
            _ = try await queue.recordAttempts(team.map { Self.sent($0, at: claim) })
            let late = now.addingTimeInterval(61)
            let limited = try await queue.claimDueDeliveries(now: late, limit: 1, share: share)
            #expect(limited.map(\.id) == [later[0].id])
        }
    }

    @Test("a missing message queues nothing of the batch", arguments: StoreBackend.available)
    func missingMessageQueuesNothing(backend: StoreBackend) async throws {
        try await withStore(on: backend) { store in
            let queue = try Self.queue(store)
            let message = try await store.store(incoming("Subject: one\r\n\r\nx\r\n"))
            await #expect(throws: StoreError.messageNotFound("01NOTTHERE0000000000000000")) {
                try await queue.enqueue(
                    [
                        DeliveryRequest(messageID: message.id, relay: "mx", recipients: ["a@x.example"]),
                        DeliveryRequest(
                            messageID: "01NOTTHERE0000000000000000", relay: "mx", recipients: ["a@x.example"]),
                    ], at: Date())
            }
            await #expect(throws: DeliveryQueueError.self) {
                try await queue.enqueue(
                    [DeliveryRequest(messageID: message.id, relay: "mx", recipients: [])], at: Date())
            }
            #expect(try await queue.deliveries(status: nil, relay: nil, limit: 10).isEmpty)
        }
    }

    @Test("auto-relay rules belong to their inbox", arguments: StoreBackend.available)
    func autoRelayRulesBelongToTheirInbox(backend: StoreBackend) async throws {
        try await withStore(on: backend) { store in
            let queue = try Self.queue(store)
            _ = try await store.createInbox(
                named: "team", password: nil, maximumMessages: nil, maximumAgeSeconds: nil, routes: [])
            let rules = [
                AutoRelayRule(relay: "mx", query: "to:@x.example"),
                AutoRelayRule(relay: "backup", query: "subject:urgent", to: ["ops@x.example"]),
            ]
            try await queue.setAutoRelayRules(rules, inbox: "team")
            #expect(try await queue.autoRelayRules(inbox: "TEAM") == rules)
            #expect(try await queue.autoRelayRules(inbox: "default").isEmpty)
            try await queue.setAutoRelayRules([rules[1]], inbox: "team")
            #expect(try await queue.autoRelayRules(inbox: "team") == [rules[1]])
            try await store.deleteInbox(named: "team")
            await #expect(throws: StoreError.inboxNotFound("team")) { try await queue.autoRelayRules(inbox: "team") }
            await #expect(throws: StoreError.inboxNotFound("nowhere")) {
                try await queue.setAutoRelayRules(rules, inbox: "nowhere")
            }
        }
    }

    // MARK: - Several nodes on PostgreSQL

    @Test(
        "two nodes claiming at once never take the same delivery",
        .enabled(if: StoreBackend.postgresURL != nil, "\(StoreBackend.skipNote)"))
    func nodesNeverClaimTheSameDelivery() async throws {
        try await withPostgresDatabase { url in
            let a = try await PostgresStore.open(.init(url: url, poolSize: 4), logger: testLogger)
            let b = try await PostgresStore.open(.init(url: url, poolSize: 4), logger: testLogger)
            let message = try await a.store(incoming("Subject: many\r\n\r\nx\r\n"))
            let now = Date()
            let queued = try await a.enqueue(
                (0..<200).map { DeliveryRequest(messageID: message.id, relay: "mx", recipients: ["r\($0)@x.example"]) },
                at: now)
            let claims = try await withThrowingTaskGroup(of: [String].self) { group in
                for node in [a, b, a, b] {
                    group.addTask {
                        var taken: [String] = []
                        while true {
                            let batch = try await node.claimDueDeliveries(now: now, limit: 7)
                            if batch.isEmpty { return taken }
                            taken += batch.map(\.id)
                        }
                    }
                }
                var all: [String] = []
                for try await taken in group { all += taken }
                return all
            }
            #expect(claims.count == 200)
            #expect(Set(claims) == Set(queued.map(\.id)))
            try await a.close()
            try await b.close()
        }
    }

    @Test(
        "claims a stopped node left count against no relay's share once their lease runs out",
        .enabled(if: StoreBackend.postgresURL != nil, "\(StoreBackend.skipNote)"))
    func expiredClaimsDoNotHoldTheShare() async throws {
        try await withPostgresDatabase { url in
            let lease = Duration.seconds(2)
            let a = try await PostgresStore.open(.init(url: url, poolSize: 2, deliveryLease: lease), logger: testLogger)
            let b = try await PostgresStore.open(.init(url: url, poolSize: 2, deliveryLease: lease), logger: testLogger)
            let message = try await a.store(incoming("Subject: share\r\n\r\nx\r\n"))
            let queued = try await a.enqueue(
                (0..<4).map { DeliveryRequest(messageID: message.id, relay: "mx", recipients: ["r\($0)@x.example"]) },
                at: Date())
            let share = RelayShare(perRelay: 2)
            let taken = try await a.claimDueDeliveries(now: Date(), limit: 10, share: share)
            #expect(taken.map(\.id) == queued.prefix(2).map(\.id))
            // A's two claims are live: B may take none of the relay's.
            #expect(try await b.claimDueDeliveries(now: Date(), limit: 10, share: share).isEmpty)
            // A stops; once its leases run out, B takes those two back first (due earliest), within the share.
            try await a.close()
            try await Task.sleep(for: lease * 2)
            #expect(try await b.nextDueDate(share: share).map { $0 <= Date() } == true)
            let retaken = try await b.claimDueDeliveries(now: Date(), limit: 10, share: share)
            #expect(retaken.map(\.id) == taken.map(\.id))
            #expect(try await b.claimDueDeliveries(now: Date(), limit: 10, share: share).isEmpty)
            try await b.close()
        }
    }

    @Test(
        "a node's claims outlive a slow attempt but not the node",
        .enabled(if: StoreBackend.postgresURL != nil, "\(StoreBackend.skipNote)"))
    func leasesAreRenewedUntilTheNodeStops() async throws {
        try await withPostgresDatabase { url in
            let lease = Duration.milliseconds(900)
            let a = try await PostgresStore.open(.init(url: url, poolSize: 2, deliveryLease: lease), logger: testLogger)
            let b = try await PostgresStore.open(.init(url: url, poolSize: 2, deliveryLease: lease), logger: testLogger)
            let message = try await a.store(incoming("Subject: lease\r\n\r\nx\r\n"))
            _ = try await a.enqueue(
                [DeliveryRequest(messageID: message.id, relay: "mx", recipients: ["a@x.example"])], at: Date())
            let claimed = try await a.claimDueDeliveries(now: Date(), limit: 1)
            #expect(claimed.count == 1)
            // Node A is still sending, three leases later: it renewed its claim, so B may not take it.
            try await Task.sleep(for: lease * 3)
            #expect(try await b.claimDueDeliveries(now: Date(), limit: 1).isEmpty)
            #expect(try await b.recoverInterruptedDeliveries(now: Date()) == 0)

            // Node A stops without recording the attempt: once its lease runs out, B sends it again.
            try await a.close()
            try await Task.sleep(for: lease * 2)
            #expect(try await b.recoverInterruptedDeliveries(now: Date()) == 1)
            let retaken = try await b.claimDueDeliveries(now: Date(), limit: 1)
            #expect(retaken.map(\.id) == claimed.map(\.id))
            try await b.close()
        }
    }
}
