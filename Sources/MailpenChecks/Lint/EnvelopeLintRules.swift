import MailpenMIME

/// Rules that compare the message with its SMTP envelope (skipped without one).
extension LintCheck {
    static let envelopeRules: [LintRule] = [
        LintRule("from-envelope-mismatch") { input in
            guard let mailFrom = input.envelope?.mailFrom, let envelopeDomain = DomainNames.domain(ofAddress: mailFrom),
                let from = input.message.from.first, let fromDomain = DomainNames.domain(ofAddress: from.address),
                DomainNames.organizationalDomain(envelopeDomain) != DomainNames.organizationalDomain(fromDomain)
            else {
                return []
            }
            let organization = DomainNames.organizationalDomain(fromDomain)
            return [
                LintFinding(
                    id: "from-envelope-mismatch",
                    severity: .warning,
                    message:
                        "The From domain \(fromDomain) is not aligned with the envelope sender's \(envelopeDomain); "
                        + "SPF cannot pass DMARC, so DMARC relies on a DKIM signature by \(organization).",
                    location: "envelope MAIL FROM"
                )
            ]
        },
        LintRule("eight-bit-without-8bitmime") { input in
            guard let envelope = input.envelope, input.raw.eightBitBodyLines.count > 0 else {
                return []
            }
            let body = ByteText.lowercasedASCII(envelope.bodyParameter ?? "")
            guard body != "8bitmime" && body != "binarymime" else {
                return []
            }
            let lines = input.raw.eightBitBodyLines
            return [
                LintFinding(
                    id: "eight-bit-without-8bitmime",
                    severity: .error,
                    message:
                        "The body has 8-bit bytes on \(lines.count) line(s) but MAIL FROM did not say BODY=8BITMIME "
                        + "(RFC 6152); use quoted-printable or base64, or send BODY=8BITMIME.",
                    location: "line \(lines.firstLine)",
                    line: lines.firstLine
                )
            ]
        },
        LintRule("eight-bit-header-without-smtputf8") { input in
            guard let envelope = input.envelope, !envelope.smtpUTF8, input.raw.eightBitHeaderLines.count > 0 else {
                return []
            }
            let lines = input.raw.eightBitHeaderLines
            return [
                LintFinding(
                    id: "eight-bit-header-without-smtputf8",
                    severity: .error,
                    message:
                        "Header fields contain raw 8-bit bytes but MAIL FROM did not use SMTPUTF8 (RFC 6531); "
                        + "encode them as RFC 2047 encoded words.",
                    location: "line \(lines.firstLine)",
                    line: lines.firstLine
                )
            ]
        },
        LintRule("eight-bit-address-without-smtputf8") { input in
            // Mailpen takes such addresses; a real server refuses them with 553 5.6.7 (RFC 6531 §3.4).
            guard let envelope = input.envelope, !envelope.smtpUTF8 else {
                return []
            }
            let paths = [("MAIL FROM", envelope.mailFrom)] + envelope.recipients.map { ("RCPT TO", $0) }
            guard let (command, address) = paths.first(where: { !$0.1.utf8.allSatisfy { $0 < 0x80 } }) else {
                return []
            }
            return [
                LintFinding(
                    id: "eight-bit-address-without-smtputf8",
                    severity: .error,
                    message:
                        "The envelope address <\(address)> is not ASCII but MAIL FROM did not use SMTPUTF8 "
                        + "(RFC 6531); a receiving server would refuse it with 553 5.6.7.",
                    location: "envelope \(command)"
                )
            ]
        },
    ]
}
