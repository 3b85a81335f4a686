import Foundation
import Synchronization

/// How a delivery's structured parts (its recipients, its attempts) are kept in a database's text columns,
/// and how an attempt changes a delivery: the same on every backend, so that they answer alike.
package enum DeliveryColumns {
    private static let identifierGenerator = Mutex(MessageIdentifierGenerator())

    /// Checks the requests against the queue's limits and returns a new delivery id for each.
    package static func identifiers(for requests: [DeliveryRequest], at date: Date) throws -> [String] {
        for request in requests
        where request.recipients.isEmpty || request.recipients.count > DeliveryLimits.maximumRecipients {
            throw DeliveryQueueError.invalid(
                "a delivery needs 1 to \(DeliveryLimits.maximumRecipients) recipients, not \(request.recipients.count)")
        }
        return identifierGenerator.withLock { generator in requests.map { _ in generator.next(at: date) } }
    }

    package static func encode(_ value: some Encodable) throws -> String {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .millisecondsSince1970
        encoder.outputFormatting = .sortedKeys
        return String(decoding: try encoder.encode(value), as: UTF8.self)
    }

    package static func decode<Value: Decodable>(_ type: Value.Type, _ text: String) throws -> Value {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .millisecondsSince1970
        return try decoder.decode(type, from: Data(text.utf8))
    }
}

extension Delivery {
    /// Applies what one attempt did: its recipients' outcomes, the next state, the reply, the history.
    package mutating func record(_ result: DeliveryAttemptResult) {
        for recipient in result.recipients {
            if let index = recipients.firstIndex(where: { $0.address == recipient.address }) {
                recipients[index] = recipient
            }
        }
        lastReply = result.attempt.reply
        progress.status = result.status
        progress.attempts += 1
        progress.lastError = result.attempt.error
        progress.nextAttemptAt = result.status == .queued ? result.nextAttemptAt : nil
        progress.updatedAt = result.attempt.at
        progress.history = Array((progress.history + [result.attempt]).suffix(DeliveryLimits.attemptsKept))
    }
}
