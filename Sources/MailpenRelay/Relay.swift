import MailpenOutbound

/// A named relay: the SMTP server to send to, which recipients it may take, and how failed attempts are
/// retried. Configured with `--relay NAME=URL` or a relay file; none exists unless configured.
public struct Relay: Sendable, Hashable {
    public var name: String
    public var target: RelayTarget
    public var retry: RetryPolicy

    public init(name: String, target: RelayTarget, retry: RetryPolicy = RetryPolicy()) {
        self.name = name
        self.target = target
        self.retry = retry
        if let backoff = target.backoff { self.retry.initialDelay = backoff }
        self.retry.maximumDelay = max(self.retry.maximumDelay, self.retry.initialDelay)
    }

    /// The relay's recipient patterns.
    public var policy: RecipientPolicy {
        RecipientPolicy(allow: target.allowedRecipients, deny: target.deniedRecipients)
    }

    /// Whether `name` can name a relay: 1–64 letters, digits and `._-`.
    public static func isValidName(_ name: String) -> Bool {
        !name.isEmpty && name.utf8.count <= 64
            && name.unicodeScalars.allSatisfy { scalar in
                scalar.isASCII
                    && (("a"..."z").contains(scalar) || ("A"..."Z").contains(scalar) || ("0"..."9").contains(scalar)
                        || "._-".unicodeScalars.contains(scalar))
            }
    }
}
