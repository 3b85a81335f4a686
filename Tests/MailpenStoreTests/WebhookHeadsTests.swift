import GRDB
import Testing

@testable import MailpenStore

@Suite("Webhook queue: each URL's first delivery")
struct WebhookHeadsTests {
    /// The sender asks for the heads after every stored message, and deliveries pile up behind an endpoint
    /// that hangs: the question must jump from URL to URL through the pending index, never read the queue.
    @Test func headsAreFoundThroughThePendingIndexAlone() throws {
        let database = try DatabaseQueue()
        let plan = try database.write { db in
            try db.execute(sql: "CREATE TABLE inbox (id INTEGER PRIMARY KEY)")
            try WebhookSchema.create(in: db)
            return try Row.fetchAll(db, sql: "EXPLAIN QUERY PLAN " + WebhookHeads.sql).map { row -> String in
                row["detail"]
            }
        }
        let reads = plan.filter { $0.contains("webhook_delivery") }
        #expect(reads.count == 3, "plan: \(plan)")
        for read in reads {
            #expect(read.hasPrefix("SEARCH ") && read.contains("USING INDEX webhook_delivery_pending"), "\(read)")
        }
        #expect(!plan.contains { $0.hasPrefix("SCAN w") }, "plan: \(plan)")
    }
}
