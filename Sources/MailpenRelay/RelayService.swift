import CoreMetrics
import Foundation
import Logging
import MailpenOutbound
import MailpenSMTPCore
import MailpenStore

/// Releases captured mail to the configured relays through the store's durable delivery queue: queues
/// releases and auto-relay matches, and sends due deliveries, retrying temporary failures on each relay's
/// schedule. Sending resumes after a restart, and deliveries left mid-attempt by a crash are sent again
/// (at-least-once); a recipient recorded as accepted is never sent to again.
public actor RelayService {
    public nonisolated let configuration: RelayConfiguration
    private let store: any MailpenStore
    private let queue: any DeliveryQueue
    private let client: OutboundSMTPClient
    /// The name this Mailpen gives itself in the `Received:` header it adds.
    private let hostname: String
    private let metrics: RelayMetrics?
    private let logger: Logger
    private let events = DeliveryEventFeed()
    private let doorbell = Doorbell()
    /// Attempts made at once, across relays.
    private let maximumConcurrentAttempts: Int
    /// Attempts made at once to one relay while other relays' mail waits, so that an upstream that hangs
    /// holds only its share of the slots and the other relays' mail still goes out.
    private let maximumConcurrentAttemptsPerRelay: Int
    private var senderTask: Task<Void, Never>?
    private var autoRelayTask: Task<Void, Never>?
    /// Forgets cached rules when an inbox changes, on this node or another sharing the database.
    private var ruleCacheTask: Task<Void, Never>?
    /// Attempts under way, by delivery id, and how many of them each relay has.
    private var attempts: [String: (relay: String, task: Task<Void, Never>)] = [:]
    private var attemptsPerRelay: [String: Int] = [:]
    private var rules: [String: [CompiledRule]] = [:]
    /// Stored messages not yet checked against their inbox's auto-relay rules.
    private var awaitingAutoRelay: [MessageSummary] = []
    private var isAutoRelaying = false
    /// Finished attempts not yet recorded, and whether a recording is under way.
    private var awaitingRecord: [(result: DeliveryAttemptResult, duration: Duration)] = []
    private var isRecording = false
    /// The shortest time between two of the relay's own writes (claims, records, auto-relay batches). They
    /// share the store's one writer with ingest, and each commit is flushed to disk: paced, a burst of relayed
    /// mail costs ingest a few commits a second, not three per message.
    private let writeInterval: Duration
    private var lastWrite = ContinuousClock.now - .seconds(1)
    /// When a message was last stored, and when the current run of arriving mail began. Ingest comes first:
    /// while mail keeps arriving, relaying waits (a burst of auto-relayed mail would otherwise take the CPU
    /// from the ingest it follows), and after ``ingestPatience`` of it, makes one attempt at a time.
    private var lastStored = ContinuousClock.now - .seconds(1)
    private var ingestBusySince = ContinuousClock.now - .seconds(1)
    private static let ingestQuietPeriod = Duration.milliseconds(250)
    private static let ingestPatience = Duration.seconds(10)

    /// An auto-relay rule with its query parsed once.
    private struct CompiledRule {
        var rule: AutoRelayRule
        var query: SearchQuery
    }

    public init(
        configuration: RelayConfiguration, store: any MailpenStore, queue: any DeliveryQueue, hostname: String,
        client: OutboundSMTPClient = OutboundSMTPClient(), metricsFactory: (any MetricsFactory)? = nil,
        maximumConcurrentAttempts: Int = 8, maximumConcurrentAttemptsPerRelay: Int = 4,
        writeInterval: Duration = .milliseconds(100), logger: Logger = Logger(label: "mailpen.relay")
    ) {
        self.writeInterval = writeInterval
        self.configuration = configuration
        self.store = store
        self.queue = queue
        self.hostname = hostname
        self.client = client
        self.metrics = metricsFactory.map { RelayMetrics(factory: $0) }
        self.maximumConcurrentAttempts = max(1, maximumConcurrentAttempts)
        self.maximumConcurrentAttemptsPerRelay = max(1, maximumConcurrentAttemptsPerRelay)
        self.logger = logger
    }

    // MARK: - Running

    /// Puts deliveries interrupted by a crash back in the queue and starts sending and auto-relaying.
    public func start() async throws {
        let recovered = try await queue.recoverInterruptedDeliveries(now: Date())
        if recovered > 0 { logger.warning("resuming \(recovered) delivery(ies) interrupted mid-attempt") }
        // Without relays no rule can apply: nothing to follow.
        if !configuration.isEmpty {
            // Each node auto-relays the mail it stored itself, so that a message is relayed once.
            let changes = await store.subscribeToOwnChanges(bufferSize: 65_536)
            autoRelayTask = Task { await self.followStoredMessages(changes) }
            let everyChange = await store.subscribe(bufferSize: 1024)
            ruleCacheTask = Task { await self.forgetRulesOfChangedInboxes(everyChange) }
        }
        senderTask = Task { await self.runSender() }
    }

    /// Stops sending. Attempts in flight get `grace` to finish; any still running are left `sending` in
    /// the queue, to be sent again after the next start.
    public func stop(grace: Duration = .seconds(5)) async {
        senderTask?.cancel()
        autoRelayTask?.cancel()
        ruleCacheTask?.cancel()
        doorbell.ring()
        await senderTask?.value
        senderTask = nil
        await InFlightAttempts.finish(attempts.values.map(\.task), within: grace)
        for attempt in attempts.values { attempt.task.cancel() }
        await autoRelayTask?.value
        await ruleCacheTask?.value
        autoRelayTask = nil
        ruleCacheTask = nil
        events.finish()
    }

    /// Every change of a delivery from now on.
    public nonisolated func deliveryChanges() -> AsyncStream<Delivery> {
        events.subscribe()
    }

    // MARK: - Releasing

    /// Queues `messageID` for `relayName`, to `to` or, without it, to the message's envelope recipients.
    /// Throws ``RelayError`` (nothing queued) when the relay's policy refuses any recipient.
    public func release(messageID: String, relay relayName: String, to: [String]?) async throws -> [Delivery] {
        guard !configuration.isEmpty else { throw RelayError.noRelays }
        guard let relay = configuration.relay(named: relayName) else { throw RelayError.unknownRelay(relayName) }
        var recipients: [String]
        let origin: RecipientPolicy.Origin
        if let to {
            recipients = to
            origin = .explicit
        } else {
            guard let envelope = try await store.envelope(id: messageID) else {
                throw StoreError.messageNotFound(messageID)
            }
            recipients = envelope.recipients.map(\.address)
            // Recipients nobody typed: only an allow list can let them through.
            origin = .automatic
        }
        recipients = try Self.validated(recipients)
        let refused = relay.policy.refused(recipients, origin: origin)
        guard refused.isEmpty else {
            throw RelayError.refusedByPolicy(
                relay: relay.name, recipients: refused, hasAllowList: !relay.policy.allow.isEmpty)
        }
        let deliveries = try await queue.enqueue(
            [DeliveryRequest(messageID: messageID, relay: relay.name, recipients: recipients)], at: Date())
        queued(deliveries)
        logger.info("released \(messageID) to relay \(relay.name) for \(recipients.count) recipient(s)")
        return deliveries
    }

    /// Recipient addresses checked, each in its plain spelling (``RelayRecipient``) and once
    /// (case-insensitively), in order: what the policy judges is what is sent.
    static func validated(_ recipients: [String]) throws -> [String] {
        guard !recipients.isEmpty else { throw RelayError.noRecipients }
        guard recipients.count <= DeliveryLimits.maximumRecipients else {
            throw RelayError.tooManyRecipients(recipients.count)
        }
        var seen = Set<String>()
        var result: [String] = []
        for address in recipients {
            guard let canonical = RelayRecipient.canonical(address) else {
                throw RelayError.invalidRecipient(address)
            }
            if seen.insert(canonical.lowercased()).inserted { result.append(canonical) }
        }
        return result
    }

    private func queued(_ deliveries: [Delivery]) {
        for delivery in deliveries {
            events.publish(delivery)
            metrics?.deliveriesQueued(relay: delivery.relay, count: 1)
        }
        doorbell.ring()
    }

    // MARK: - Auto-relay rules

    /// Checks rules before they are saved: known relays, valid queries and recipients.
    public nonisolated func validate(_ rules: [AutoRelayRule]) throws {
        guard rules.count <= DeliveryLimits.maximumRulesPerInbox else {
            throw RelayError.invalidRule("an inbox has at most \(DeliveryLimits.maximumRulesPerInbox) auto-relay rules")
        }
        for rule in rules {
            guard configuration.relay(named: rule.relay) != nil else { throw RelayError.unknownRelay(rule.relay) }
            // The stores end text at a NUL: `subject:a\0b` would be kept as `subject:a`, matching far more mail.
            guard !StoredText.hasControlCharacter(rule.query) else {
                throw RelayError.invalidRule("an autoRelay query has no control characters")
            }
            do {
                _ = try SearchQuery(parsing: rule.query)
            } catch {
                throw RelayError.invalidRule("autoRelay query '\(rule.query)': \(error)")
            }
            if let to = rule.to { _ = try Self.validated(to) }
        }
    }

    /// Saves an inbox's auto-relay rules after ``validate(_:)``.
    public func setAutoRelayRules(_ rules: [AutoRelayRule], inbox: String) async throws {
        try validate(rules)
        try await queue.setAutoRelayRules(rules, inbox: inbox)
        self.rules[inbox.lowercased()] = nil
    }

    private func compiledRules(inbox: String) async throws -> [CompiledRule] {
        if let cached = rules[inbox.lowercased()] { return cached }
        var compiled: [CompiledRule] = []
        for rule in try await queue.autoRelayRules(inbox: inbox) {
            do {
                compiled.append(CompiledRule(rule: rule, query: try SearchQuery(parsing: rule.query)))
            } catch {
                // Saved before a limit of the grammar was tightened: said once each time the rules are read.
                logger.warning(
                    "auto-relay rule of inbox \(inbox) to relay \(rule.relay) is skipped: its query '\(rule.query)' no longer parses (\(error)); save the inbox's rules again with a query that parses"
                )
            }
        }
        rules[inbox.lowercased()] = compiled
        return compiled
    }

    /// Applies the auto-relay rules to each message as it is stored, once.
    private func followStoredMessages(_ initial: AsyncThrowingStream<StoreEvent, any Error>) async {
        var changes = initial
        while !Task.isCancelled {
            do {
                for try await event in changes {
                    switch event {
                    case .stored(let summary):
                        let now = ContinuousClock.now
                        if now - lastStored >= Self.ingestQuietPeriod { ingestBusySince = now }
                        lastStored = now
                        awaitingAutoRelay.append(summary)
                        if !isAutoRelaying {
                            isAutoRelaying = true
                            Task { await self.autoRelayBatches() }
                        }
                    case .inbox(let name, _):
                        // Here too, so that this node's own rule changes apply in order with its mail.
                        rules[name.lowercased()] = nil
                    default:
                        break
                    }
                }
                return
            } catch {
                // Fell behind: messages stored meanwhile were not checked. Say so and carry on.
                logger.error("auto-relay missed messages while it fell behind the store (\(error))")
                rules = [:]
                changes = await store.subscribeToOwnChanges(bufferSize: 65_536)
            }
        }
    }

    /// Drops an inbox's cached rules when it changes; when the stream fails (fell behind), drops them all.
    private func forgetRulesOfChangedInboxes(_ initial: AsyncThrowingStream<StoreEvent, any Error>) async {
        var changes = initial
        while !Task.isCancelled {
            do {
                for try await event in changes {
                    if case .inbox(let name, _) = event { rules[name.lowercased()] = nil }
                }
                return
            } catch {
                rules = [:]
                changes = await store.subscribe(bufferSize: 1024)
            }
        }
    }

    /// Works through the stored messages waiting for the rules, a batch at a time: while one batch is
    /// checked and queued, the next gathers, and each batch's deliveries are queued in one commit.
    private func autoRelayBatches() async {
        while !awaitingAutoRelay.isEmpty {
            await paceWrite()
            let batch = awaitingAutoRelay
            awaitingAutoRelay = []
            let requests = await autoRelayRequests(for: batch)
            guard !requests.isEmpty else { continue }
            do {
                queued(try await queue.enqueue(requests, at: Date()))
            } catch {
                // One message deleted meanwhile fails the batch: queue the others one by one.
                for request in requests {
                    do {
                        queued(try await queue.enqueue([request], at: Date()))
                    } catch {
                        logger.error("auto-relay of \(request.messageID) to \(request.relay) failed: \(error)")
                    }
                }
            }
        }
        isAutoRelaying = false
    }

    /// The deliveries the inboxes' rules make of new messages. Rules that look at recipients only need the
    /// envelopes, read for the whole batch at once; a rule that looks at content reads its message.
    private func autoRelayRequests(for batch: [MessageSummary]) async -> [DeliveryRequest] {
        var ruled: [(MessageSummary, [CompiledRule])] = []
        for summary in batch {
            do {
                let rules = try await compiledRules(inbox: summary.inbox)
                if !rules.isEmpty { ruled.append((summary, rules)) }
            } catch StoreError.inboxNotFound {
                continue  // Gone before its turn.
            } catch {
                logger.error("auto-relay of \(summary.id) failed: \(error)")
            }
        }
        guard !ruled.isEmpty else { return [] }
        let envelopes: [String: MessageEnvelope]
        do {
            let byEnvelope = ruled.filter { !$0.1.contains { AutoRelayMatcher.needsContent($0.query) } }
            envelopes = try await store.envelopes(ids: byEnvelope.map(\.0.id))
        } catch {
            logger.error("auto-relay of \(ruled.count) message(s) failed: \(error)")
            return []
        }
        var requests: [DeliveryRequest] = []
        for (summary, rules) in ruled {
            let matcher: AutoRelayMatcher
            if rules.contains(where: { AutoRelayMatcher.needsContent($0.query) }) {
                do {
                    guard let message = try await store.message(id: summary.id) else { continue }
                    matcher = AutoRelayMatcher(summary: message.summary, envelope: message.envelope, raw: message.raw)
                } catch StoreError.messageNotFound {
                    continue  // Gone before its turn.
                } catch {
                    logger.error("auto-relay of \(summary.id) failed: \(error)")
                    continue
                }
            } else {
                guard let envelope = envelopes[summary.id] else { continue }  // Gone before its turn.
                matcher = AutoRelayMatcher(summary: summary, envelope: envelope, raw: [])
            }
            requests += deliveryRequests(for: summary, matching: rules, with: matcher)
        }
        return requests
    }

    /// Per matching rule, the message's recipients (or the rule's own) that its relay allows.
    private func deliveryRequests(
        for summary: MessageSummary, matching rules: [CompiledRule], with matcher: AutoRelayMatcher
    ) -> [DeliveryRequest] {
        var matcher = matcher
        let envelope = matcher.envelope
        var requests: [DeliveryRequest] = []
        for compiled in rules where matcher.matches(compiled.query) {
            guard let relay = configuration.relay(named: compiled.rule.relay) else {
                logger.warning(
                    "auto-relay rule of inbox \(summary.inbox) names relay \(compiled.rule.relay), which is not configured"
                )
                continue
            }
            // Each in its plain spelling, as a release's are; one that is not a single mailbox is not sent.
            var seen = Set<String>()
            let candidates = (compiled.rule.to ?? envelope.recipients.map(\.address))
                .compactMap(RelayRecipient.canonical).filter { seen.insert($0.lowercased()).inserted }
            let allowed = candidates.filter { relay.policy.permits($0, origin: .automatic) }
            guard !allowed.isEmpty else { continue }
            requests.append(DeliveryRequest(messageID: summary.id, relay: relay.name, recipients: allowed))
        }
        return requests
    }

    /// Waits until the next relay write is due (see ``writeInterval``), gathering work meanwhile.
    private func paceWrite() async {
        let due = lastWrite + writeInterval
        if due > ContinuousClock.now { try? await Task.sleep(until: due, clock: .continuous) }
        lastWrite = ContinuousClock.now
    }

    // MARK: - Sending

    /// Claims due deliveries several attempts' worth at a time (fewer commits competing with ingest) and
    /// keeps up to ``maximumConcurrentAttempts`` of them in flight, ``maximumConcurrentAttemptsPerRelay`` to
    /// a relay while others wait, and one more for each relay that has none: relays that hang never fill the
    /// others' turn. Claimed deliveries whose relay has its share under way wait for it, and a claim takes no
    /// relay past twice the slots in `sending`.
    private func runSender() async {
        var backlog: [Delivery] = []
        let claimSize = maximumConcurrentAttempts * 4
        // Enough of one relay to fill every slot and as many again: a claim does not take a relay's whole
        // queue into one node's hands (on a shared database the others find the rest).
        let share = RelayShare(perRelay: maximumConcurrentAttempts * 2)
        while !Task.isCancelled {
            let now = ContinuousClock.now
            let isIngestBusy = now - lastStored < Self.ingestQuietPeriod
            let concurrency =
                !isIngestBusy ? maximumConcurrentAttempts : now - ingestBusySince < Self.ingestPatience ? 0 : 1
            startAttempts(from: &backlog, upTo: concurrency)
            // With a slot free, whatever waits in the backlog has its relay's share under way; with every slot
            // taken, a relay with none under way may still have mail due.
            let mayClaim = attempts.count < concurrency || concurrency == maximumConcurrentAttempts
            if mayClaim {
                do {
                    await paceWrite()
                    let claimed = try await queue.claimDueDeliveries(now: Date(), limit: claimSize, share: share)
                    if !claimed.isEmpty {
                        backlog += claimed
                        continue
                    }
                } catch {
                    logger.error("could not read the delivery queue: \(error)")
                }
            }
            // While ingest is busy, look again once it may have gone quiet.
            var wait = isIngestBusy ? Self.ingestQuietPeriod : Duration.seconds(60)
            if !isIngestBusy, mayClaim, let due = try? await queue.nextDueDate(share: share) {
                let seconds = max(0, min(due.timeIntervalSinceNow, 60))
                wait = min(wait, .milliseconds(Int64(seconds * 1000) + 5))
            }
            // Woken early by a new delivery or a finished attempt.
            await doorbell.wait(timeout: wait)
        }
    }

    /// Starts the backlog's deliveries in order while slots are free, passing over those whose relay has
    /// its share of attempts under way. At full concurrency a relay with no attempt under way still gets
    /// one: relays that hang cannot take every slot between them (the extra slots are at most one a relay).
    /// Slots that no other relay's delivery waits for go to the relays past their share.
    private func startAttempts(from backlog: inout [Delivery], upTo concurrency: Int) {
        var waiting: [Delivery] = []
        for delivery in backlog {
            let underWay = attemptsPerRelay[delivery.relay, default: 0]
            let hasSlot =
                attempts.count < concurrency || (underWay == 0 && concurrency == maximumConcurrentAttempts)
            guard hasSlot, underWay < maximumConcurrentAttemptsPerRelay else {
                waiting.append(delivery)
                continue
            }
            start(delivery)
        }
        // Slots still free: every delivery left waits only for its relay's share, and nothing else for them.
        var left: [Delivery] = []
        for delivery in waiting {
            guard attempts.count < concurrency else {
                left.append(delivery)
                continue
            }
            start(delivery)
        }
        if left.count != backlog.count { metrics?.sending(attempts.count) }
        backlog = left
    }

    private func start(_ delivery: Delivery) {
        attemptsPerRelay[delivery.relay, default: 0] += 1
        attempts[delivery.id] = (delivery.relay, Task { await self.attempt(delivery) })
    }

    /// Forgets an attempt that has been recorded, freeing its slot and its relay's.
    private func ended(_ deliveryID: String) {
        guard let relay = attempts.removeValue(forKey: deliveryID)?.relay else { return }
        let left = attemptsPerRelay[relay, default: 1] - 1
        attemptsPerRelay[relay] = left > 0 ? left : nil
    }

    private func attempt(_ delivery: Delivery) async {
        let started = ContinuousClock.now
        let result = await outcome(of: delivery)
        awaitingRecord.append((result, ContinuousClock.now - started))
        guard !isRecording else { return }
        isRecording = true
        // Attempts that end while a batch is being recorded go in the next batch: one commit for many.
        while !awaitingRecord.isEmpty {
            await paceWrite()
            let batch = awaitingRecord
            awaitingRecord = []
            do {
                let recorded = try await queue.recordAttempts(batch.map(\.result))
                let byID = Dictionary(batch.map { ($0.result.deliveryID, $0) }, uniquingKeysWith: { first, _ in first })
                for delivery in recorded {
                    guard let (result, duration) = byID[delivery.id] else { continue }
                    finished(delivery, result: result, duration: duration)
                }
            } catch {
                logger.error("could not record \(batch.count) delivery attempt(s): \(error)")
            }
            for (result, _) in batch { ended(result.deliveryID) }
            metrics?.sending(attempts.count)
            doorbell.ring()
        }
        isRecording = false
    }

    private func finished(_ delivery: Delivery, result: DeliveryAttemptResult, duration: Duration) {
        events.publish(delivery)
        metrics?.attemptFinished(relay: delivery.relay, outcome: result.attempt.outcome, duration: duration)
        if delivery.status == .sent || delivery.status == .failed {
            metrics?.deliveryFinished(relay: delivery.relay, status: delivery.status.rawValue)
        }
        let detail = result.attempt.error ?? result.attempt.reply ?? ""
        logger.info(
            "delivery \(delivery.id) of \(delivery.messageID) to relay \(delivery.relay): attempt \(delivery.attempts) \(result.attempt.outcome), now \(delivery.status.rawValue) \(detail)"
        )
    }

    /// Makes one attempt and works out the delivery's next state.
    private func outcome(of delivery: Delivery) async -> DeliveryAttemptResult {
        let now = { Date() }
        func failed(_ reason: String) -> DeliveryAttemptResult {
            DeliveryAttemptResult(
                deliveryID: delivery.id, status: .failed,
                recipients: delivery.recipients.map { recipient in
                    var recipient = recipient
                    if recipient.status == .queued || recipient.status == .sending { recipient.status = .failed }
                    return recipient
                },
                attempt: .init(at: now(), outcome: "permanentFailure", reply: nil, error: reason), nextAttemptAt: nil)
        }
        guard let relay = configuration.relay(named: delivery.relay) else {
            return failed("the relay '\(delivery.relay)' is no longer configured")
        }
        let stored: StoredMessage?
        do {
            stored = try await store.message(id: delivery.messageID)
        } catch {
            return retryOrGiveUp(
                delivery, relay: relay, recipients: delivery.recipients,
                attempt: .init(
                    at: now(), outcome: "temporaryFailure", reply: nil, error: "could not read the message: \(error)"))
        }
        guard let message = stored else { return failed("the message was deleted before it could be sent") }
        let pending = delivery.pendingRecipients
        guard !pending.isEmpty else {
            let anySent = delivery.recipients.contains { $0.status == .sent }
            return DeliveryAttemptResult(
                deliveryID: delivery.id, status: anySent ? .sent : .failed, recipients: delivery.recipients,
                attempt: .init(at: now(), outcome: anySent ? "sent" : "permanentFailure", reply: nil, error: nil),
                nextAttemptAt: nil)
        }
        let envelope = message.envelope
        let trace = ReceivedHeader(
            heloName: envelope.heloName, clientAddress: envelope.clientAddress, hostname: hostname,
            protocolName: envelope.source == .smtp
                ? ReceivedHeader.protocolName(
                    extendedHello: envelope.usedExtendedHello ?? true, tls: envelope.tlsVersion != nil,
                    authenticated: envelope.authenticatedUser != nil)
                : "HTTP",
            id: message.summary.id, recipient: pending.count == 1 ? pending[0] : nil, date: message.summary.receivedAt)
        let outbound = OutboundMessage(
            mailFrom: envelope.mailFrom, recipients: pending, content: trace.prepended(to: message.raw))
        let result = await client.send(outbound, to: relay.target)

        var recipients = delivery.recipients
        for outcome in result.recipients {
            guard let index = recipients.firstIndex(where: { $0.address == outcome.address }) else { continue }
            let ownReply = outcome.reply
            // A recipient accepted at RCPT but failed with the whole message keeps the reply that failed it.
            let reply =
                (outcome.outcome != .sent && ownReply?.isPositiveCompletion != false) ? result.lastReply : ownReply
            switch outcome.outcome {
            case .sent: recipients[index].status = .sent
            case .permanentFailure: recipients[index].status = .failed
            case .temporaryFailure: recipients[index].status = .queued
            }
            recipients[index].reply = (reply ?? ownReply)?.text
        }
        let attempt = Delivery.Attempt(
            at: now(), outcome: result.outcome.rawValue, reply: result.lastReply?.text, error: result.error)
        return retryOrGiveUp(delivery, relay: relay, recipients: recipients, attempt: attempt)
    }

    /// Queues the delivery again while recipients are left and time remains; otherwise finishes it.
    private func retryOrGiveUp(
        _ delivery: Delivery, relay: Relay, recipients: [Delivery.Recipient], attempt: Delivery.Attempt
    ) -> DeliveryAttemptResult {
        var recipients = recipients
        var attempt = attempt
        let left = recipients.contains { $0.status == .queued || $0.status == .sending }
        if left {
            if let next = relay.retry.nextAttempt(
                afterAttempts: delivery.attempts + 1, queuedAt: delivery.createdAt, now: attempt.at,
                random: Double.random(in: 0...1))
            {
                return DeliveryAttemptResult(
                    deliveryID: delivery.id, status: .queued, recipients: recipients, attempt: attempt,
                    nextAttemptAt: next)
            }
            for index in recipients.indices
            where recipients[index].status == .queued || recipients[index].status == .sending {
                recipients[index].status = .failed
            }
            attempt.error = (attempt.error ?? "temporary failure") + "; gave up: the retry time ran out"
        }
        let anySent = recipients.contains { $0.status == .sent }
        return DeliveryAttemptResult(
            deliveryID: delivery.id, status: anySent ? .sent : .failed, recipients: recipients, attempt: attempt,
            nextAttemptAt: nil)
    }
}
