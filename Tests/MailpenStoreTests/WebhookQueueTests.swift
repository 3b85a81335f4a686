import Foundation
import MailpenTestSupport
import Testing

@testable import MailpenPostgres
@testable import MailpenStore

@Suite("Webhook queue")
struct WebhookQueueTests {
    private let secret = "0123456789abcdef"

    private func queue(_ store: any MailpenStore) throws -> any WebhookQueue {
        try #require(store as? any WebhookQueue)
    }

    private func event(_ key: String, inbox: String = "default", _ kind: Webhook.Event = .stored) -> WebhookEvent {
        WebhookEvent(inbox: inbox, event: kind, key: key, body: #"{"key":"\#(key)"}"#)
    }

    @Test(arguments: StoreBackend.available)
    func webhooksAreKeptPerInboxAndCheckedFirst(backend: StoreBackend) async throws {
        try await withStore(on: backend) { store in
            let queue = try queue(store)
            let hooks = [
                Webhook(url: "http://127.0.0.1:9/a", events: [.deleted, .stored, .stored], secret: secret),
                Webhook(url: "https://hooks.example/b", events: [.delivery], secret: nil, backoffMilliseconds: 100),
            ]
            try await queue.setWebhooks(hooks, inbox: "DEFAULT")
            let read = try await queue.webhooks(inbox: "default")
            #expect(read == hooks)
            #expect(read[0].events == [.stored, .deleted])
            #expect(try await queue.webhookSubscriptions() == ["default": [.stored, .deleted, .delivery]])

            let invalid: [[Webhook]] = [
                [Webhook(url: "ftp://x.example/", events: [.stored], secret: nil)],
                [Webhook(url: "http:///nohost", events: [.stored], secret: nil)],
                [Webhook(url: "http://u:p@x.example/", events: [.stored], secret: nil)],
                [Webhook(url: "http://127.0.0.1:99999/", events: [.stored], secret: nil)],
                [Webhook(url: "http://[::1]:0/", events: [.stored], secret: nil)],
                [Webhook(url: "http://x.example/", events: [], secret: nil)],
                [Webhook(url: "http://x.example/", events: [.stored], secret: "short")],
                [Webhook(url: "http://x.example/", events: [.stored], secret: nil, backoffMilliseconds: 99)],
                [Webhook(url: "http://x.example/", events: [.stored], secret: nil, backoffMilliseconds: 3_600_001)],
                Array(repeating: Webhook(url: "http://x.example/", events: [.stored], secret: nil), count: 2),
            ]
            for webhooks in invalid {
                await #expect(throws: WebhookQueueError.self) {
                    try await queue.setWebhooks(webhooks, inbox: "default")
                }
            }
            #expect(try await queue.webhooks(inbox: "default") == hooks)
            await #expect(throws: StoreError.inboxNotFound("nope")) { try await queue.webhooks(inbox: "nope") }
            await #expect(throws: StoreError.inboxNotFound("nope")) { try await queue.setWebhooks([], inbox: "nope") }

            _ = try await store.createInbox(
                named: "gone", password: nil, maximumMessages: nil, maximumAgeSeconds: nil, routes: [])
            try await queue.setWebhooks(hooks, inbox: "gone")
            try await store.deleteInbox(named: "gone")
            _ = try await store.createInbox(
                named: "gone", password: nil, maximumMessages: nil, maximumAgeSeconds: nil, routes: [])
            #expect(try await queue.webhooks(inbox: "gone").isEmpty)
        }
    }

    @Test(arguments: StoreBackend.available)
    func eventsGoOnlyToWebhooksThatWantThemAndOncePerKey(backend: StoreBackend) async throws {
        try await withStore(on: backend) { store in
            let queue = try queue(store)
            try await queue.setWebhooks(
                [
                    Webhook(url: "http://127.0.0.1:9/all", events: Webhook.Event.allCases, secret: secret),
                    Webhook(url: "http://127.0.0.1:9/stored", events: [.stored], secret: nil),
                ], inbox: "default")
            let now = Date()
            #expect(
                try await queue.enqueueWebhookEvents(
                    [event("s1"), event("d1", .deleted), event("x", inbox: "nobody")], at: now) == 3)
            // Heard again (another node's feed): nothing new.
            #expect(try await queue.enqueueWebhookEvents([event("s1"), event("d1", .deleted)], at: now) == 0)
            let listed = try await queue.webhookDeliveries(inbox: "default", status: nil, limit: 10)
            #expect(listed.count == 3)
            #expect(Set(listed.map(\.url)) == ["http://127.0.0.1:9/all", "http://127.0.0.1:9/stored"])
            let signed = try #require(listed.first { $0.url.hasSuffix("/all") && $0.event == .deleted })
            #expect(signed.secret == secret && signed.body == #"{"key":"d1"}"# && signed.status == .queued)
            #expect(Set(listed.map(\.id)).count == 3)
        }
    }

    @Test(arguments: StoreBackend.available)
    func aURLGetsItsEventsOneAtATimeInOrder(backend: StoreBackend) async throws {
        try await withStore(on: backend) { store in
            let queue = try queue(store)
            let a = "http://127.0.0.1:9/a"
            let b = "http://127.0.0.1:9/b"
            try await queue.setWebhooks(
                [Webhook(url: a, events: [.stored], secret: nil), Webhook(url: b, events: [.deleted], secret: nil)],
                inbox: "default")
            let start = Date(timeIntervalSince1970: Date().timeIntervalSince1970.rounded(.down))
            try await queue.enqueueWebhookEvents([event("1"), event("2"), event("3")], at: start)
            try await queue.enqueueWebhookEvents([event("d", .deleted)], at: start)
            let now = start.addingTimeInterval(1)
            #expect(try await queue.nextWebhookDueDate(share: share(10)) == start)

            var claimed = try await queue.claimDueWebhookDeliveries(now: now, limit: 10, share: share(10))
            #expect(claimed.map(\.body).sorted() == [#"{"key":"1"}"#, #"{"key":"d"}"#])
            #expect(claimed.allSatisfy { $0.status == .sending })
            // While a URL's delivery is out, nothing else of that URL is claimed.
            #expect(try await queue.claimDueWebhookDeliveries(now: now, limit: 10, share: share(10)).isEmpty)
            #expect(try await queue.nextWebhookDueDate(share: share(10)) == nil)

            let first = try #require(claimed.first { $0.url == a })
            let retryAt = now.addingTimeInterval(60)
            try await queue.recordWebhookAttempts([
                WebhookAttemptResult(
                    deliveryID: first.id, status: .queued,
                    attempt: .init(at: now, statusCode: 500, error: "HTTP status 500", durationMilliseconds: 3),
                    nextAttemptAt: retryAt)
            ])
            // The failed first event holds back the later ones until it is due again.
            #expect(try await queue.claimDueWebhookDeliveries(now: now, limit: 10, share: share(10)).isEmpty)
            #expect(try await queue.nextWebhookDueDate(share: share(10)) == retryAt)
            claimed = try await queue.claimDueWebhookDeliveries(now: retryAt, limit: 10, share: share(10))
            #expect(claimed.map(\.id) == [first.id])
            #expect(claimed[0].attempts == 1 && claimed[0].lastStatusCode == 500)
            try await queue.recordWebhookAttempts([
                WebhookAttemptResult(
                    deliveryID: first.id, status: .sent,
                    attempt: .init(at: retryAt, statusCode: 200, error: nil, durationMilliseconds: 2),
                    nextAttemptAt: nil)
            ])
            claimed = try await queue.claimDueWebhookDeliveries(now: retryAt, limit: 10, share: share(10))
            #expect(claimed.map(\.body) == [#"{"key":"2"}"#])

            let done = try #require(
                try await queue.webhookDeliveries(inbox: "default", status: .sent, limit: 10).first)
            #expect(done.id == first.id && done.attempts == 2 && done.nextAttemptAt == nil)
            #expect(done.history.map(\.statusCode) == [500, 200])
        }
    }

    /// An inbox whose sixteen endpoints all hang holds only its share of the attempt slots: another inbox's
    /// delivery, queued last, is claimed beside them, and the busy inbox gets a slot back only as one of its
    /// attempts finishes.
    @Test(arguments: StoreBackend.available)
    func oneInboxGetsOnlyItsShareOfAttempts(backend: StoreBackend) async throws {
        try await withStore(on: backend) { store in
            let queue = try queue(store)
            _ = try await store.createInbox(
                named: "quiet", password: nil, maximumMessages: nil, maximumAgeSeconds: nil, routes: [])
            let busy = (0..<16).map { Webhook(url: "http://127.0.0.1:9/busy/\($0)", events: [.stored], secret: nil) }
            try await queue.setWebhooks(busy, inbox: "default")
            try await queue.setWebhooks(
                [Webhook(url: "http://127.0.0.1:9/quiet", events: [.stored], secret: nil)], inbox: "quiet")
            let start = Date(timeIntervalSince1970: Date().timeIntervalSince1970.rounded(.down))
            try await queue.enqueueWebhookEvents([event("b1"), event("b2")], at: start)
            try await queue.enqueueWebhookEvents([event("q1", inbox: "quiet")], at: start.addingTimeInterval(0.5))
            let now = start.addingTimeInterval(1)

            let claimed = try await queue.claimDueWebhookDeliveries(now: now, limit: 16, share: share(4))
            #expect(claimed.filter { $0.inbox == "default" }.count == 4)
            #expect(claimed.filter { $0.inbox == "quiet" }.map(\.body) == [#"{"key":"q1"}"#])
            // Four of the busy inbox's are out: none more of its twelve other due URLs, however many slots,
            // and nothing to wake a sender for until one of them finishes.
            #expect(try await queue.claimDueWebhookDeliveries(now: now, limit: 16, share: share(4)).isEmpty)
            #expect(try await queue.nextWebhookDueDate(share: share(4)) == nil)
            #expect(try await queue.nextWebhookDueDate(share: share(5)) == start)

            let finished = try #require(claimed.first { $0.inbox == "default" })
            try await queue.recordWebhookAttempts([
                WebhookAttemptResult(
                    deliveryID: finished.id, status: .queued,
                    attempt: .init(at: now, statusCode: nil, error: "timed out", durationMilliseconds: 10_000),
                    nextAttemptAt: now.addingTimeInterval(60))
            ])
            #expect(try await queue.nextWebhookDueDate(share: share(4)) == start)
            let next = try await queue.claimDueWebhookDeliveries(now: now, limit: 16, share: share(4))
            #expect(next.count == 1 && next[0].inbox == "default" && next[0].url != finished.url)
            #expect(Set(claimed.map(\.url)).isDisjoint(with: next.map(\.url)))

            // Claims made before the share's start were left by a node that stopped: they hold no share, so
            // the busy inbox gets four more while those wait to be recovered.
            let abandoned = WebhookShare(perInbox: 4, claimedSince: now.addingTimeInterval(1))
            #expect(try await queue.nextWebhookDueDate(share: abandoned) == start)
            let more = try await queue.claimDueWebhookDeliveries(now: now, limit: 16, share: abandoned)
            #expect(more.count == 4 && more.allSatisfy { $0.inbox == "default" })
        }
    }

    /// The attempts under way take the first places in their inbox's line, however late they were due:
    /// otherwise deliveries due earlier would be placed before them and claimed past the share.
    @Test(arguments: StoreBackend.available)
    func attemptsUnderWayCountBeforeEarlierDueDeliveries(backend: StoreBackend) async throws {
        try await withStore(on: backend) { store in
            let queue = try queue(store)
            let urls = (0..<5).map { "http://127.0.0.1:9/\($0)" }
            try await queue.setWebhooks(
                urls.prefix(2).map { Webhook(url: $0, events: [.stored], secret: nil) }, inbox: "default")
            let start = Date(timeIntervalSince1970: Date().timeIntervalSince1970.rounded(.down))
            try await queue.enqueueWebhookEvents([event("late")], at: start)
            #expect(try await queue.claimDueWebhookDeliveries(now: start, limit: 10, share: share(3)).count == 2)

            // Three more URLs, whose first delivery was due ten seconds before the two under way.
            try await queue.setWebhooks(urls.map { Webhook(url: $0, events: [.stored], secret: nil) }, inbox: "default")
            try await queue.enqueueWebhookEvents([event("early")], at: start.addingTimeInterval(-10))
            let claimed = try await queue.claimDueWebhookDeliveries(now: start, limit: 10, share: share(3))
            #expect(claimed.count == 1)
            #expect(claimed.allSatisfy { urls.suffix(3).contains($0.url) })
        }
    }

    @Test(arguments: StoreBackend.available)
    func interruptedClaimsComeBackAndRemovedWebhooksStop(backend: StoreBackend) async throws {
        try await withStore(on: backend) { store in
            let queue = try queue(store)
            let a = "http://127.0.0.1:9/a"
            try await queue.setWebhooks([Webhook(url: a, events: [.stored], secret: nil)], inbox: "default")
            let start = Date(timeIntervalSince1970: Date().timeIntervalSince1970.rounded(.down))
            try await queue.enqueueWebhookEvents([event("1"), event("2")], at: start)
            let claimed = try await queue.claimDueWebhookDeliveries(now: start, limit: 10, share: share(10))
            #expect(claimed.count == 1)
            // A claim newer than the cut-off is left alone (another node may be sending it).
            #expect(try await queue.recoverInterruptedWebhookDeliveries(claimedBefore: start, now: start) == 0)
            let later = start.addingTimeInterval(1)
            #expect(try await queue.recoverInterruptedWebhookDeliveries(claimedBefore: later, now: later) == 1)
            #expect(
                try await queue.claimDueWebhookDeliveries(now: later, limit: 10, share: share(10)).map(\.id)
                    == claimed.map(\.id))

            try await queue.setWebhooks([], inbox: "default")
            let failed = try await queue.webhookDeliveries(inbox: "default", status: .failed, limit: 10)
            #expect(failed.map(\.body) == [#"{"key":"2"}"#])
            #expect(failed.first?.lastError == "webhook removed")
            #expect(try await queue.pruneWebhookDeliveries(finishedBefore: later.addingTimeInterval(3600)) == 1)
            #expect(try await queue.webhookDeliveries(inbox: "default", status: nil, limit: 10).count == 1)
        }
    }

    /// Two senders claiming at once (on PostgreSQL: two nodes on one database) never get the same delivery,
    /// nor two deliveries of one URL.
    @Test(arguments: StoreBackend.available)
    func concurrentClaimsNeverOverlap(backend: StoreBackend) async throws {
        let urls = (0..<8).map { "http://127.0.0.1:9/\($0)" }
        let body: (any MailpenStore, any MailpenStore) async throws -> Void = { first, second in
            let queue = try queue(first)
            try await queue.setWebhooks(urls.map { Webhook(url: $0, events: [.stored], secret: nil) }, inbox: "default")
            let now = Date()
            // Five events to eight URLs: 40 deliveries, each to be claimed exactly once.
            try await queue.enqueueWebhookEvents((0..<5).map { event("e\($0)") }, at: now)
            let queues = [queue, try self.queue(second)]
            var seen: [String] = []
            var round = 0
            // A round may claim fewer than every URL (a row another claimer just took is skipped).
            while seen.count < 40, round < 100 {
                round += 1
                let rounds = try await withThrowingTaskGroup(of: [WebhookDelivery].self) { group in
                    for queue in queues + queues {
                        group.addTask { try await queue.claimDueWebhookDeliveries(now: now, limit: 3, share: share(8)) }
                    }
                    var all: [[WebhookDelivery]] = []
                    for try await claimed in group { all.append(claimed) }
                    return all
                }
                let claimed = rounds.flatMap { $0 }
                #expect(Set(claimed.map(\.id)).count == claimed.count)
                #expect(Set(claimed.map(\.url)).count == claimed.count)
                seen += claimed.map(\.id)
                try await queue.recordWebhookAttempts(
                    claimed.map {
                        WebhookAttemptResult(
                            deliveryID: $0.id, status: .sent,
                            attempt: .init(at: now, statusCode: 200, error: nil, durationMilliseconds: 1),
                            nextAttemptAt: nil)
                    })
            }
            #expect(Set(seen).count == seen.count)
            #expect(seen.count == 40)
            #expect(try await queue.claimDueWebhookDeliveries(now: now, limit: 3, share: share(8)).isEmpty)
        }
        switch backend {
        case .sqlite:
            try await withStore(on: .sqlite) { store in try await body(store, store) }
        case .postgres:
            try await withPostgresStore { store, url in
                let other = try await PostgresStore.open(.init(url: url, poolSize: 4), logger: testLogger)
                do {
                    try await body(store, other)
                } catch {
                    try? await other.close()
                    throw error
                }
                try await other.close()
            }
        }
    }
}

/// A share of `perInbox` attempts, counting every claim as under way however old.
private func share(_ perInbox: Int) -> WebhookShare {
    WebhookShare(perInbox: perInbox, claimedSince: .distantPast)
}
