import CoreMetrics
import Foundation

/// The relay's metrics: attempts by relay and outcome, finished deliveries by relay and status, attempt
/// durations, and the attempts in flight.
struct RelayMetrics: Sendable {
    let factory: any MetricsFactory

    func attemptFinished(relay: String, outcome: String, duration: Duration) {
        Counter(
            label: "mailpen_relay_attempts_total", dimensions: [("relay", relay), ("outcome", outcome)],
            factory: factory
        )
        .increment()
        Timer(label: "mailpen_relay_attempt_duration_seconds", dimensions: [("relay", relay)], factory: factory)
            .recordNanoseconds(
                duration.components.seconds.multipliedReportingOverflow(by: 1_000_000_000).partialValue
                    &+ duration.components.attoseconds / 1_000_000_000)
    }

    func deliveryFinished(relay: String, status: String) {
        Counter(
            label: "mailpen_relay_deliveries_total", dimensions: [("relay", relay), ("status", status)],
            factory: factory
        )
        .increment()
    }

    func deliveriesQueued(relay: String, count: Int) {
        Counter(label: "mailpen_relay_deliveries_queued_total", dimensions: [("relay", relay)], factory: factory)
            .increment(by: count)
    }

    func sending(_ count: Int) {
        Gauge(label: "mailpen_relay_attempts_in_flight", factory: factory).record(count)
    }
}
