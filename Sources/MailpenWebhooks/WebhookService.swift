import AsyncHTTPClient
import Foundation
import Logging
import MailpenStore

/// Pushes each inbox's events to its webhooks through the store's durable queue: follows the store's
/// changes (and the relay's deliveries), queues the events the webhooks want in paced batches, and sends
/// due deliveries, each URL's in order, retrying failures on the schedule.
///
/// Ingest never waits for it: it only reads the change feed, and its own writes (a batch of events, a
/// claim, a record) are few and small. A slow or dead endpoint holds back only its own URL's events.
public actor WebhookService {
    /// How the service paces itself.
    public struct Configuration: Sendable {
        public var retry: WebhookRetrySchedule
        /// How long one attempt may take.
        public var timeout: Duration
        /// Attempts in flight at once, across URLs.
        public var maximumConcurrentAttempts: Int
        /// Attempts in flight at once for one inbox's webhooks, on this node and others sharing its store: an
        /// inbox whose endpoints all hang holds no more than this many of the slots.
        public var maximumConcurrentAttemptsPerInbox: Int
        /// How long events gather before they are queued in one transaction.
        public var batchInterval: Duration
        /// How long sent and failed deliveries stay listed.
        public var keepFinished: Duration
        /// At start, deliveries claimed this long ago and still `sending` are put back in the queue. Zero
        /// (every one) suits a store only this process uses; a shared database needs a margin past
        /// ``timeout``, so that another node's attempt in flight is not repeated at once.
        public var startupRecoveryAge: Duration
        /// While running, claims older than this are taken as left by a node that stopped.
        public var staleClaimAge: Duration

        public init(
            retry: WebhookRetrySchedule = WebhookRetrySchedule(), timeout: Duration = .seconds(10),
            maximumConcurrentAttempts: Int = 16, maximumConcurrentAttemptsPerInbox: Int = 4,
            batchInterval: Duration = .milliseconds(100),
            keepFinished: Duration = .seconds(24 * 3600), startupRecoveryAge: Duration = .zero,
            staleClaimAge: Duration = .seconds(60)
        ) {
            self.retry = retry
            self.timeout = timeout
            self.maximumConcurrentAttempts = max(1, maximumConcurrentAttempts)
            self.maximumConcurrentAttemptsPerInbox = max(1, maximumConcurrentAttemptsPerInbox)
            self.batchInterval = batchInterval
            self.keepFinished = keepFinished
            self.startupRecoveryAge = startupRecoveryAge
            self.staleClaimAge = staleClaimAge
        }
    }

    private let configuration: Configuration
    private let store: any MailpenStore
    private let queue: any WebhookQueue
    private let deliveryChanges: AsyncStream<Delivery>?
    private let client: HTTPClient
    private let sender: WebhookSender
    private let logger: Logger
    private var mapper: WebhookEventMapper
    private let interest = WebhookInterest()
    private var pending: [WebhookEvent] = []
    private let eventsBell = Doorbell()
    private let sendBell = Doorbell()
    private var tasks: [Task<Void, Never>] = []
    private var attempts: [String: Task<Void, Never>] = [:]
    /// Events held in memory at most while the store cannot take them.
    private static let maximumPending = 100_000

    public init(
        store: any MailpenStore, queue: any WebhookQueue, representation: WebhookEventMapper.Representation,
        deliveryChanges: AsyncStream<Delivery>? = nil, configuration: Configuration = Configuration(),
        logger: Logger = Logger(label: "mailpen.webhooks")
    ) {
        self.store = store
        self.queue = queue
        self.deliveryChanges = deliveryChanges
        self.configuration = configuration
        self.client = WebhookSender.makeClient(timeout: configuration.timeout)
        self.sender = WebhookSender(client: client, timeout: configuration.timeout)
        self.mapper = WebhookEventMapper(representation: representation)
        self.logger = logger
    }

    // MARK: - Running

    /// Puts deliveries interrupted by a stop back in the queue and starts following and sending.
    public func start() async throws {
        let now = Date()
        let recovered = try await queue.recoverInterruptedWebhookDeliveries(
            claimedBefore: now.addingTimeInterval(-configuration.startupRecoveryAge.seconds), now: now)
        if recovered > 0 { logger.warning("resuming \(recovered) webhook delivery(ies) interrupted mid-attempt") }
        // Subscribed before the webhooks are read, so that a webhook set meanwhile is not missed: its inbox
        // event waits in the stream and makes the service read them again.
        let changes = await store.subscribe(bufferSize: 65_536, where: interest.filter)
        try await readSubscriptions()
        tasks.append(Task { await self.follow(changes) })
        if let deliveryChanges { tasks.append(Task { await self.follow(deliveryChanges) }) }
        tasks.append(Task { await self.runBatcher() })
        tasks.append(Task { await self.runSender() })
        tasks.append(Task { await self.runMaintenance() })
    }

    /// Stops: events gathered are queued, attempts in flight get `grace` to finish; any still running are
    /// left `sending`, to be sent again after the next start.
    public func stop(grace: Duration = .seconds(2)) async {
        for task in tasks { task.cancel() }
        eventsBell.ring()
        sendBell.ring()
        for task in tasks { await task.value }
        tasks = []
        await enqueuePending()
        await InFlightAttempts.finish(Array(attempts.values), within: grace)
        for attempt in attempts.values { attempt.cancel() }
        // Cancelled, they end at once and record nothing; the client and the store must outlive them.
        await InFlightAttempts.finish(Array(attempts.values), within: .seconds(1))
        try? await client.shutdown()
    }

    // MARK: - Following changes

    private func follow(_ initial: AsyncThrowingStream<StoreEvent, any Error>) async {
        var changes = initial
        while !Task.isCancelled {
            do {
                for try await change in changes { await take(change) }
                return
            } catch {
                // Fell behind: events were lost. Say so, and follow again from now.
                logger.error("webhooks missed store changes (\(error)); following again from now")
                // An inbox event may have been among those missed: pass everything until read again.
                interest.passEverything()
                changes = await store.subscribe(bufferSize: 65_536, where: interest.filter)
                await refreshSubscriptions()
            }
        }
    }

    private func follow(_ deliveries: AsyncStream<Delivery>) async {
        for await delivery in deliveries {
            if Task.isCancelled { return }
            do {
                if let event = try mapper.event(for: delivery) { add(event) }
            } catch {
                logger.error("cannot describe delivery \(delivery.id) for webhooks: \(error)")
            }
        }
    }

    private func take(_ change: StoreEvent) async {
        if case .inbox = change {
            // Webhooks may have changed (or gone with their inbox): read them before later events.
            await refreshSubscriptions()
            return
        }
        do {
            if let event = try mapper.event(for: change) { add(event) }
        } catch {
            logger.error("cannot describe a change of \(change.inboxName) for webhooks: \(error)")
        }
    }

    private func refreshSubscriptions() async {
        do {
            try await readSubscriptions()
        } catch {
            // The filter stays open: both ways here (an inbox event, falling behind) opened it.
            logger.error("cannot read the webhooks: \(error)")
        }
    }

    /// Reads which inboxes' webhooks want which events, for the mapper and for the change feed's filter.
    private func readSubscriptions() async throws {
        let generation = interest.generation
        let subscriptions = try await queue.webhookSubscriptions()
        mapper.setSubscriptions(subscriptions)
        interest.update(inboxes: subscriptions.keys, readAfter: generation)
    }

    private func add(_ event: WebhookEvent) {
        guard pending.count < Self.maximumPending else {
            logger.error("webhook events are piling up; dropping one for \(event.inbox)")
            return
        }
        pending.append(event)
        eventsBell.ring()
    }

    // MARK: - Queuing

    /// Queues gathered events at most once per batch interval: one small transaction, however many
    /// messages arrived meanwhile.
    private func runBatcher() async {
        while !Task.isCancelled {
            await eventsBell.wait(timeout: .seconds(5))
            guard !pending.isEmpty, !Task.isCancelled else { continue }
            try? await Task.sleep(for: configuration.batchInterval)
            await enqueuePending()
        }
    }

    private func enqueuePending() async {
        guard !pending.isEmpty else { return }
        let batch = pending
        pending = []
        do {
            try await queue.enqueueWebhookEvents(batch, at: Date())
            sendBell.ring()
        } catch {
            logger.error("cannot queue \(batch.count) webhook event(s): \(error); trying again")
            pending = Array((batch + pending).prefix(Self.maximumPending))
            try? await Task.sleep(for: .seconds(1))
            eventsBell.ring()
        }
    }

    // MARK: - Sending

    private func runSender() async {
        while !Task.isCancelled {
            var wait = Duration.seconds(1)
            do {
                let free = configuration.maximumConcurrentAttempts - attempts.count
                if free > 0, let due = try await queue.nextWebhookDueDate(share: share(at: Date())) {
                    let now = Date()
                    if due <= now {
                        for delivery in try await queue.claimDueWebhookDeliveries(
                            now: now, limit: free, share: share(at: now))
                        {
                            begin(delivery)
                        }
                    } else {
                        wait = min(wait, .milliseconds(Int64(due.timeIntervalSince(now) * 1000) + 1))
                    }
                }
            } catch {
                logger.error("cannot read the webhook queue: \(error)")
            }
            if Task.isCancelled { return }
            await sendBell.wait(timeout: wait)
        }
    }

    /// Each inbox's share of the attempts at `now`. An attempt ends within the timeout: a claim older than
    /// that and a margin was left by a node that stopped, and holds no share while it waits to be recovered.
    private func share(at now: Date) -> WebhookShare {
        WebhookShare(
            perInbox: configuration.maximumConcurrentAttemptsPerInbox,
            claimedSince: now.addingTimeInterval(-(configuration.timeout.seconds + Self.claimMargin)))
    }

    /// Seconds past an attempt's timeout by which its result is recorded, at the latest.
    private static let claimMargin: TimeInterval = 5

    private func begin(_ delivery: WebhookDelivery) {
        let sender = self.sender
        let schedule = configuration.retry
        attempts[delivery.id] = Task {
            let started = ContinuousClock.now
            let outcome = await sender.send(delivery)
            let result = schedule.result(
                for: delivery, outcome: outcome, now: Date(), duration: ContinuousClock.now - started)
            await self.finish(result, of: delivery)
        }
    }

    private func finish(_ result: WebhookAttemptResult, of delivery: WebhookDelivery) async {
        guard !Task.isCancelled else {
            // Stopped mid-attempt: left `sending`, and sent again after the next start.
            attempts[delivery.id] = nil
            return
        }
        if result.status != .sent {
            let next = result.status == .failed ? "giving up" : "retrying"
            logger.info(
                "webhook \(delivery.event.rawValue) to \(delivery.url) failed (\(result.attempt.error ?? "?")); \(next)"
            )
        }
        do {
            try await queue.recordWebhookAttempts([result])
        } catch {
            // Left `sending`: recovered as stale, and sent again.
            logger.error("cannot record a webhook attempt: \(error)")
        }
        attempts[delivery.id] = nil
        sendBell.ring()
    }

    // MARK: - Upkeep

    private func runMaintenance() async {
        while !Task.isCancelled {
            try? await Task.sleep(for: .seconds(30))
            if Task.isCancelled { return }
            let now = Date()
            do {
                let recovered = try await queue.recoverInterruptedWebhookDeliveries(
                    claimedBefore: now.addingTimeInterval(-configuration.staleClaimAge.seconds), now: now)
                if recovered > 0 { logger.warning("resuming \(recovered) abandoned webhook delivery(ies)") }
                try await queue.pruneWebhookDeliveries(
                    finishedBefore: now.addingTimeInterval(-configuration.keepFinished.seconds))
            } catch {
                logger.error("webhook queue upkeep failed: \(error)")
            }
        }
    }
}
