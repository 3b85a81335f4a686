/// How one attempt ended: an HTTP status, or an error before any (a refused connection, a timeout).
public struct WebhookAttemptOutcome: Sendable, Hashable {
    public var statusCode: Int?
    public var error: String?

    /// An answer with this status; anything but 2xx is a failure to retry.
    public static func answered(_ statusCode: Int) -> WebhookAttemptOutcome {
        WebhookAttemptOutcome(
            statusCode: statusCode, error: (200..<300).contains(statusCode) ? nil : "HTTP status \(statusCode)")
    }

    /// No answer: why.
    public static func failed(_ reason: String) -> WebhookAttemptOutcome {
        WebhookAttemptOutcome(statusCode: nil, error: reason)
    }

    public var isSuccess: Bool { statusCode.map { (200..<300).contains($0) } ?? false }
}
