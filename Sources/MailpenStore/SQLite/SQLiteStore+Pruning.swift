import Foundation
import GRDB

extension SQLiteStore {
    /// Deletes messages older than the age limits; returns how many.
    @discardableResult
    public func pruneExpired(now: Date = Date()) async throws -> Int {
        let maximumAge = configuration.retention.maximumAgeSeconds
        try ensureOpen()
        return try await writer.perform { db in
            let events = try Retention.pruneByAge(defaultMaximumAge: maximumAge, now: now, in: db)
            let count = events.reduce(0) { total, event in
                if case .deleted(_, let ids) = event { return total + ids.count }
                return total
            }
            return (count, events)
        }
    }
}
