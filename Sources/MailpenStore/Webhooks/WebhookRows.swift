import Foundation

/// How both backends write webhook values into columns: events as a comma list, the history as JSON.
package enum WebhookRows {
    /// The error recorded on deliveries whose webhook was removed before they were sent.
    package static let removedError = "webhook removed"

    package static func encode(_ events: [Webhook.Event]) -> String {
        events.map(\.rawValue).joined(separator: ",")
    }

    package static func decodeEvents(_ text: String) -> [Webhook.Event] {
        text.split(separator: ",").compactMap { Webhook.Event(rawValue: String($0)) }
    }

    /// A fresh delivery id: 32 lowercase hex digits.
    package static func newID() -> String {
        UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased()
    }

    /// The history JSON `text` with `attempt` appended, keeping the newest ``WebhookLimits/attemptsKept``.
    package static func appending(_ attempt: WebhookDelivery.Attempt, to text: String) throws -> String {
        let history = (try decodeHistory(text) + [attempt]).suffix(WebhookLimits.attemptsKept)
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .millisecondsSince1970
        encoder.outputFormatting = .sortedKeys
        return String(decoding: try encoder.encode(Array(history)), as: UTF8.self)
    }

    package static func decodeHistory(_ text: String) throws -> [WebhookDelivery.Attempt] {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .millisecondsSince1970
        return try decoder.decode([WebhookDelivery.Attempt].self, from: Data(text.utf8))
    }

    /// The columns of `SQLiteStore.webhookDeliveryColumns` (and PostgreSQL's, in the same order).
    package typealias Columns = (
        String, String, String, String, String, String?, Int64, String, Int64, Int64?, String?, Int64?, Int64,
        Int64, String
    )

    package static func decode(_ row: Columns) throws -> WebhookDelivery {
        WebhookDelivery(
            id: row.0, inbox: row.1, url: row.2, event: Webhook.Event(rawValue: row.3) ?? .stored, body: row.4,
            secret: row.5, backoffMilliseconds: Int(row.6),
            status: WebhookDelivery.Status(rawValue: row.7) ?? .failed, attempts: Int(row.8),
            lastStatusCode: row.9.map(Int.init), lastError: row.10,
            nextAttemptAt: row.11.map(Date.init(milliseconds:)), createdAt: Date(milliseconds: row.12),
            updatedAt: Date(milliseconds: row.13), history: try decodeHistory(row.14))
    }
}
