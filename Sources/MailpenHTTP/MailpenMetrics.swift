import CoreMetrics
import Foundation
import MailpenCompat
import Metrics
import Prometheus
import Synchronization

/// Mailpen's Prometheus metrics, through swift-metrics with a registry of each server's own (so that
/// several servers in one process, as in tests, do not share counters). A class: the SMTP path hands it
/// around with every message, and a copy of a reference is one retain, not one for each counter.
public final class MailpenMetrics: Sendable {
    private let registry: PrometheusCollectorRegistry
    private let factory: PrometheusMetricsFactory
    /// The factory behind these metrics, for parts of Mailpen that report their own into the same registry.
    public var metricsFactory: any MetricsFactory { factory }
    private let storedMessages: CoreMetrics.Counter
    private let storedBytes: CoreMetrics.Counter
    private let rejectedMessages: CoreMetrics.Counter
    private let deletedMessages: CoreMetrics.Counter
    /// The same counts, readable: Prometheus's counters only write themselves out.
    private let tally = RuntimeTally()
    private let activeSessions: CoreMetrics.Meter
    private let ingestLatency: CoreMetrics.Timer
    /// Counters of the replies every transaction sends, made once: looking a counter up by its labels costs
    /// more than the rest of a reply.
    private let commonReplies: [Int: CoreMetrics.Counter]

    public init() {
        let registry = PrometheusCollectorRegistry()
        var factory = PrometheusMetricsFactory(registry: registry)
        factory.defaultDurationHistogramBuckets = [
            .microseconds(100), .microseconds(250), .microseconds(500), .milliseconds(1), .milliseconds(2),
            .milliseconds(5), .milliseconds(10), .milliseconds(25), .milliseconds(50), .milliseconds(100),
            .milliseconds(250), .milliseconds(500), .seconds(1), .seconds(5),
        ]
        self.registry = registry
        self.factory = factory
        storedMessages = CoreMetrics.Counter(label: "mailpen_messages_stored_total", factory: factory)
        storedBytes = CoreMetrics.Counter(label: "mailpen_message_bytes_stored_total", factory: factory)
        rejectedMessages = CoreMetrics.Counter(label: "mailpen_smtp_messages_rejected_total", factory: factory)
        deletedMessages = CoreMetrics.Counter(label: "mailpen_messages_deleted_total", factory: factory)
        activeSessions = CoreMetrics.Meter(label: "mailpen_smtp_sessions_active", factory: factory)
        ingestLatency = CoreMetrics.Timer(label: "mailpen_ingest_duration_seconds", factory: factory)
        commonReplies = Dictionary(
            uniqueKeysWithValues: [220, 221, 250, 354].map { code in
                (code, Self.replyCounter(code: code, factory: factory))
            })
    }

    /// A message was stored; `duration` runs from the end of its data to its commit.
    public func messageStored(size: Int, duration: Duration) {
        storedMessages.increment()
        storedBytes.increment(by: size)
        ingestLatency.record(duration: duration)
        _ = tally.stored.wrappingAdd(1, ordering: .relaxed)
        _ = tally.storedBytes.wrappingAdd(size, ordering: .relaxed)
    }

    /// A message's data was received over SMTP and then refused (by the store or a chaos rule).
    public func messageRejected() {
        rejectedMessages.increment()
        _ = tally.rejected.wrappingAdd(1, ordering: .relaxed)
    }

    /// `count` messages were deleted, by a client or by retention.
    public func messagesDeleted(count: Int) {
        guard count > 0 else { return }
        deletedMessages.increment(by: count)
        _ = tally.deleted.wrappingAdd(count, ordering: .relaxed)
    }

    public func smtpSessionOpened() {
        activeSessions.increment()
    }

    public func smtpSessionClosed() {
        activeSessions.decrement()
    }

    public func smtpReply(code: Int) {
        (commonReplies[code] ?? Self.replyCounter(code: code, factory: factory)).increment()
    }

    /// A chaos rule fired at `stage` (an SMTP stage name: connect, ehlo, auth, mail, rcpt, data, bdat, message).
    public func chaosHit(stage: String) {
        CoreMetrics.Counter(label: "mailpen_chaos_hits_total", dimensions: [("stage", stage)], factory: factory)
            .increment()
    }

    private static func replyCounter(code: Int, factory: PrometheusMetricsFactory) -> CoreMetrics.Counter {
        CoreMetrics.Counter(label: "mailpen_smtp_replies_total", dimensions: [("code", String(code))], factory: factory)
    }

    func httpRequest(route: String, method: String, status: Int) {
        CoreMetrics.Counter(
            label: "mailpen_http_requests_total",
            dimensions: [("route", route), ("method", method), ("status", String(status))],
            factory: factory
        ).increment()
    }

    /// The metrics in Prometheus text exposition format.
    public func prometheusText() -> String {
        var buffer: [UInt8] = []
        registry.emit(into: &buffer)
        return String(decoding: buffer, as: UTF8.self)
    }
}

extension MailpenMetrics: RuntimeCounting {
    public func runtimeCounts() -> RuntimeCounts {
        RuntimeCounts(
            smtpAccepted: tally.stored.load(ordering: .relaxed),
            smtpAcceptedBytes: tally.storedBytes.load(ordering: .relaxed),
            smtpRejected: tally.rejected.load(ordering: .relaxed),
            messagesDeleted: tally.deleted.load(ordering: .relaxed))
    }
}

/// Readable copies of the counters Mailpit's info route reports. They wrap rather than trap: a server
/// would have to run for ages to reach `Int.max` bytes.
private final class RuntimeTally: Sendable {
    let stored = Atomic<Int>(0)
    let storedBytes = Atomic<Int>(0)
    let rejected = Atomic<Int>(0)
    let deleted = Atomic<Int>(0)
}
