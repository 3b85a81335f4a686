import Foundation
import Logging
import Synchronization

/// The deliveries this node has claimed and not yet recorded, whose leases it keeps renewing while it
/// sends them. A node that stops renewing (it crashed, or lost the database) lets its leases run out, and
/// then any node, this one after a restart included, claims those deliveries again.
final class DeliveryLeases: Sendable {
    /// How long a claim holds without renewal.
    let duration: Duration
    private let held = Mutex<Set<String>>([])
    private let renewal = Mutex<Task<Void, Never>?>(nil)

    init(duration: Duration) {
        self.duration = duration
    }

    var milliseconds: Int64 {
        let (seconds, attoseconds) = duration.components
        return seconds.multipliedReportingOverflow(by: 1000).partialValue + attoseconds / 1_000_000_000_000_000
    }

    func hold(_ ids: [String]) {
        held.withLock { $0.formUnion(ids) }
    }

    func release(_ ids: [String]) {
        held.withLock { $0.subtract(ids) }
    }

    /// Starts renewing held leases, three times per lease, with `renew` (given the ids and the new end).
    func startRenewing(_ renew: @escaping @Sendable ([String]) async throws -> Void, logger: Logger) {
        let interval = duration / 3
        let task = Task { [self] in
            while !Task.isCancelled {
                try? await Task.sleep(for: interval)
                let ids = self.held.withLock { Array($0) }
                guard !ids.isEmpty, !Task.isCancelled else { continue }
                do {
                    try await renew(ids)
                } catch {
                    logger.warning("could not renew the leases of \(ids.count) delivery(ies): \(error)")
                }
            }
        }
        renewal.withLock { $0 = task }
    }

    func stop() async {
        let task = renewal.withLock { task in
            defer { task = nil }
            return task
        }
        task?.cancel()
        await task?.value
    }
}
