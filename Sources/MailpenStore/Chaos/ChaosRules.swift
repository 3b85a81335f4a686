import Foundation
import Logging
import MailpenChaos
import Synchronization

/// The chaos rules in force on this node: the stored rules held in memory, so that the SMTP server can ask
/// at every stage of every session without touching the database, and the way to change them.
///
/// With no rules stored, ``decide(_:)`` is one atomic load. The memory copy is reloaded at once when rules
/// are changed through this node, and every ``refreshInterval`` otherwise (the way other nodes sharing a
/// PostgreSQL database learn of changes); the same refresh writes the hits counted since the last one to
/// the store. `times` is therefore exact on one node and may be exceeded by a few hits across several.
public final class ChaosRules: Sendable {
    private struct Routes: Sendable {
        /// Every inbox route, in the order the store tries them.
        var patterns: [(pattern: AddressPattern, inbox: String)] = []
        /// The same as text, to tell whether a reload changed them.
        var written: [String] = []
        /// Counts the loads, so that a session's progress through its recipients (``ChaosEnvelope/routing``)
        /// is trusted only against the routes it was made with.
        var revision = 1
    }

    private let store: any ChaosRuleStore & MailpenStore
    private let engine = Mutex(ChaosEngine())
    private let routes = Mutex(Routes())
    /// Whether any rule is loaded: the one thing read when none is.
    private let isActive = Atomic<Bool>(false)
    private let refreshes = RefreshQueue()
    private let logger: Logger
    /// How often the rules are reloaded from the store (and hits recorded) when nothing else asks.
    public let refreshInterval: Duration
    /// Bounds on the rules accepted.
    public let limits: ChaosLimits

    public init(
        store: any ChaosRuleStore & MailpenStore, refreshInterval: Duration = .seconds(1),
        limits: ChaosLimits = ChaosLimits(), logger: Logger = Logger(label: "mailpen.chaos")
    ) {
        self.store = store
        self.refreshInterval = refreshInterval
        self.limits = limits
        self.logger = logger
    }

    // MARK: - Deciding

    /// Whether any rule is in force on this node: one atomic load, for callers to skip the rest when none is.
    public var hasRules: Bool { isActive.load(ordering: .relaxed) }

    /// What happens at this stage of a session: the rule that fires, if any, counted. `inbox` is the
    /// session's inbox if it is known from AUTH; otherwise it is the inbox the recipients route to (the
    /// default inbox once there is a recipient and no route matches).
    public func decide(_ facts: ChaosFacts) -> ChaosDecision? {
        var envelope = ChaosEnvelope()
        return decide(facts, envelope: &envelope)
    }

    /// ``decide(_:)`` for one stage of a session whose `envelope` the caller keeps from stage to stage: the
    /// work done on its earlier recipients (lower-casing, routing, each term's search) is not done again.
    public func decide(_ facts: ChaosFacts, envelope: inout ChaosEnvelope) -> ChaosDecision? {
        guard hasRules else { return nil }
        envelope.update(mailFrom: facts.mailFrom, recipients: facts.recipients)
        var inbox = facts.inbox
        if inbox == nil, !envelope.recipients.isEmpty {
            inbox = routedInbox(&envelope)
        }
        return engine.withLock { $0.decide(stage: facts.stage, inbox: inbox, envelope: &envelope) }
    }

    /// The inbox of the first route (in the store's order) that one of the recipients matches, else the
    /// default inbox; only recipients new since the envelope's last stage are matched.
    private func routedInbox(_ envelope: inout ChaosEnvelope) -> String {
        routes.withLock { routes in
            var routing = envelope.routing
            if routing.revision != routes.revision {
                routing = ChaosEnvelope.Routing()
                routing.revision = routes.revision
            }
            for recipient in envelope.recipients[routing.checked...] {
                let prepared = Array(recipient)
                let candidates = routes.patterns.indices.prefix(routing.firstRoute ?? routes.patterns.count)
                if let first = candidates.first(where: { routes.patterns[$0].pattern.matches(lowercased: prepared) }) {
                    routing.firstRoute = first
                }
            }
            routing.checked = envelope.recipients.count
            envelope.routing = routing
            return routing.firstRoute.map { routes.patterns[$0].inbox } ?? Inbox.defaultName
        }
    }

    // MARK: - Changing

    /// Replaces a scope's rules (validated by the caller) and puts them in force at once on this node.
    @discardableResult
    public func set(_ rules: ChaosRuleSet) async throws -> ChaosRuleSet {
        let stored = try await store.setChaosRules(rules)
        try await refresh()
        return stored
    }

    /// Removes a scope's rules.
    public func clear(inbox: String?) async throws {
        try await store.clearChaosRules(inbox: inbox)
        try await refresh()
    }

    /// A scope's rules with their counters up to now; `nil` if none are set.
    public func rules(inbox: String?) async throws -> ChaosRuleSet? {
        try await refresh()
        return try await store.chaosRules(inbox: inbox)
    }

    // MARK: - Refreshing

    /// Records the hits counted so far and reloads the rules (and, when inboxes have rules, the routes).
    public func refresh() async throws {
        try await refreshes.run { try await self.reload() }
    }

    /// Refreshes every ``refreshInterval`` until cancelled; failures are logged and retried.
    public func run() async {
        while !Task.isCancelled {
            do {
                try await refresh()
            } catch {
                logger.warning("could not refresh the chaos rules: \(error)")
            }
            try? await Task.sleep(for: refreshInterval)
        }
    }

    private func reload() async throws {
        let hits = engine.withLock { $0.takeHitsToRecord() }
        do {
            try await store.recordChaosHits(hits)
        } catch {
            engine.withLock { $0.recordingFailed(hits) }
            throw error
        }
        let sets = try await store.chaosRuleSets()
        if sets.contains(where: { $0.inbox != nil }) {
            var patterns: [(pattern: AddressPattern, inbox: String)] = []
            var written: [String] = []
            let inboxes = try await store.inboxes().sorted { $0.name.lowercased() < $1.name.lowercased() }
            for inbox in inboxes {
                for route in inbox.routes {
                    patterns.append((AddressPattern(route), inbox.name))
                    written += [route, inbox.name]
                }
            }
            routes.withLock { routes in
                // Sessions route their recipients again only when the routes did change.
                guard routes.written != written else { return }
                routes.patterns = patterns
                routes.written = written
                routes.revision += 1
            }
        }
        let active = engine.withLock { engine in
            engine.load(sets)
            return !engine.isEmpty
        }
        isActive.store(active, ordering: .relaxed)
    }
}

/// Runs refreshes one at a time, in the order asked: two at once could each reload over hits the other is
/// still recording.
private actor RefreshQueue {
    private var last: Task<Void, Never>?

    func run(_ operation: @escaping @Sendable () async throws -> Void) async throws {
        let previous = last
        let task = Task {
            await previous?.value
            return try await operation()
        }
        last = Task { _ = await task.result }
        try await task.value
    }
}
