import Foundation

/// One endpoint an inbox pushes its events to: where, which events, the secret that signs them and how
/// soon a failed push is tried again. Kept in the store with the inbox (see ``WebhookQueue``).
public struct Webhook: Sendable, Hashable, Codable {
    /// What a webhook can be told about.
    public enum Event: String, Sendable, Hashable, Codable, CaseIterable, Comparable {
        /// A message was stored in the inbox.
        case stored
        /// Messages were deleted from the inbox.
        case deleted
        /// A relay delivery of one of the inbox's messages changed.
        case delivery

        public static func < (lhs: Event, rhs: Event) -> Bool {
            allCases.firstIndex(of: lhs) ?? 0 < allCases.firstIndex(of: rhs) ?? 0
        }
    }

    public var url: String
    /// The events sent, each once, in ``Event/allCases`` order.
    public var events: [Event]
    /// The key of the `Mailpen-Signature` HMAC; `nil` sends events unsigned.
    public var secret: String?
    /// The delay before the first retry, in milliseconds; each later retry waits twice as long.
    public var backoffMilliseconds: Int

    public init(url: String, events: [Event], secret: String?, backoffMilliseconds: Int = WebhookLimits.defaultBackoff)
    {
        self.url = url
        self.events = Array(Set(events)).sorted()
        self.secret = secret
        self.backoffMilliseconds = backoffMilliseconds
    }
}

/// Bounds on webhooks and on what their queue keeps.
public enum WebhookLimits {
    /// Webhooks per inbox.
    public static let maximumPerInbox = 16
    /// Characters in a webhook's URL.
    public static let maximumURLLength = 2048
    /// Characters in a secret: enough to be a real key, few enough to stay a header's business.
    public static let secretLength = 16...256
    /// The first retry delay, in milliseconds: from 100 ms (for tests) to one hour.
    public static let backoffRange = 100...3_600_000
    /// The first retry delay when none is given: ten seconds.
    public static let defaultBackoff = 10_000
    /// Attempts kept in a delivery's history (the count goes on).
    public static let attemptsKept = 50
    /// Deliveries one listing returns at most.
    public static let maximumListing = 1000

    /// Checks a set of webhooks for one inbox; throws ``WebhookQueueError/invalid(_:)`` saying what is wrong.
    public static func validate(_ webhooks: [Webhook]) throws {
        guard webhooks.count <= maximumPerInbox else {
            throw WebhookQueueError.invalid("an inbox has at most \(maximumPerInbox) webhooks, not \(webhooks.count)")
        }
        var seen: Set<String> = []
        for webhook in webhooks {
            try validate(url: webhook.url)
            guard seen.insert(webhook.url).inserted else {
                throw WebhookQueueError.invalid("the webhook URL \(webhook.url) appears twice")
            }
            guard !webhook.events.isEmpty else {
                throw WebhookQueueError.invalid("a webhook needs at least one event (stored, deleted, delivery)")
            }
            if let secret = webhook.secret, !secretLength.contains(secret.count) {
                throw WebhookQueueError.invalid(
                    "a webhook secret has \(secretLength.lowerBound) to \(secretLength.upperBound) characters, "
                        + "not \(secret.count)")
            }
            // The stores end text at a NUL: a secret with one would be kept shorter, or empty and unsigned.
            if let secret = webhook.secret, StoredText.hasControlCharacter(secret) {
                throw WebhookQueueError.invalid("a webhook secret has no control characters")
            }
            guard backoffRange.contains(webhook.backoffMilliseconds) else {
                throw WebhookQueueError.invalid("a webhook's backoff is from 100ms to 1h")
            }
        }
    }

    /// An absolute `http` or `https` URL with a host, of bounded length.
    static func validate(url text: String) throws {
        guard text.count <= maximumURLLength else {
            throw WebhookQueueError.invalid("a webhook URL has at most \(maximumURLLength) characters")
        }
        guard !StoredText.hasControlCharacter(text) else {
            throw WebhookQueueError.invalid("a webhook URL has no control characters (percent-encode them)")
        }
        guard let url = URLComponents(string: text), let scheme = url.scheme?.lowercased(),
            scheme == "http" || scheme == "https", let host = url.host, !host.isEmpty
        else {
            throw WebhookQueueError.invalid("a webhook URL must be an absolute http or https URL, not '\(text)'")
        }
        guard url.user == nil, url.password == nil else {
            throw WebhookQueueError.invalid("a webhook URL must not carry credentials; sign with a secret instead")
        }
        if let port = url.port, !validPorts.contains(port) {
            throw WebhookQueueError.invalid("a webhook URL's port is from 1 to 65535, not \(port)")
        }
    }

    /// The ports a URL may name.
    public static let validPorts = 1...65535
}

/// Why the webhook queue refused a change.
public enum WebhookQueueError: Error, Hashable, CustomStringConvertible {
    /// The request breaks a limit (see ``WebhookLimits``).
    case invalid(String)

    public var description: String {
        switch self {
        case .invalid(let reason): return reason
        }
    }
}
