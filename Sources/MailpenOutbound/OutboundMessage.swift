/// One message to hand to an SMTP server: the envelope and the exact bytes to send.
///
/// The bytes are sent as they are (see ``SMTPDataEncoding``); a trace header, if wanted, is prepended by the
/// caller with ``ReceivedHeader``.
public struct OutboundMessage: Sendable, Hashable {
    /// The reverse path for MAIL FROM; empty for the null sender `<>`.
    public var mailFrom: String
    /// The forward paths, one RCPT TO each, in this order.
    public var recipients: [String]
    /// The message: header and body.
    public var content: [UInt8]

    public init(mailFrom: String, recipients: [String], content: [UInt8]) {
        self.mailFrom = mailFrom
        self.recipients = recipients
        self.content = content
    }

    /// Whether an address uses non-ASCII characters and so needs SMTPUTF8 (RFC 6531).
    static func needsSMTPUTF8(_ address: String) -> Bool {
        address.utf8.contains { $0 >= 0x80 }
    }

    /// Why the envelope cannot be sent at all, or `nil`. Control characters or angle brackets in an address
    /// would let it end the command line early and smuggle in a command of its own.
    func envelopeProblem() -> String? {
        guard !recipients.isEmpty else { return "the message has no recipients" }
        if let bad = Self.unsafeAddressProblem(mailFrom, role: "sender") { return bad }
        for recipient in recipients {
            if recipient.isEmpty { return "a recipient address is empty" }
            if let bad = Self.unsafeAddressProblem(recipient, role: "recipient") { return bad }
        }
        return nil
    }

    /// Longest address accepted; RFC 5321 §4.5.3.1.3 allows a path of 256 octets, so this is generous.
    static let maximumAddressLength = 1024

    private static func unsafeAddressProblem(_ address: String, role: String) -> String? {
        if address.utf8.count > maximumAddressLength {
            return "the \(role) address is longer than \(maximumAddressLength) octets"
        }
        let isUnsafe = { (byte: UInt8) in
            byte < 0x20 || byte == 0x7F || byte == UInt8(ascii: "<") || byte == UInt8(ascii: ">")
        }
        if address.utf8.contains(where: isUnsafe) {
            let shown = address.debugDescription.dropFirst().dropLast()
            return "the \(role) address \"\(shown)\" contains control characters or angle brackets"
        }
        return nil
    }
}
