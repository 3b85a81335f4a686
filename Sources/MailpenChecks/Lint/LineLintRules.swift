import MailpenMIME

/// Line-level syntax of the raw message (RFC 5321 §4.5.3.1.6, RFC 5322 §2.1.1, §2.3).
extension LintCheck {
    static let lineRules: [LintRule] = [
        LintRule("line-too-long") { input in
            let lines = input.raw.longLines
            guard lines.count > 0 else {
                return []
            }
            return [
                LintFinding(
                    id: "line-too-long",
                    severity: .error,
                    message:
                        "\(lines.count) line(s) exceed 998 octets (longest: \(lines.maximum)); "
                        + "servers may reject the message or break the lines, corrupting HTML. "
                        + "Use quoted-printable or base64.",
                    location: "line \(lines.firstLine)",
                    line: lines.firstLine
                )
            ]
        },
        LintRule("bare-lf") { input in
            let lines = input.raw.bareLFs
            guard lines.count > 0 else {
                return []
            }
            return [
                LintFinding(
                    id: "bare-lf",
                    severity: .error,
                    message:
                        "\(lines.count) line(s) end in a bare LF instead of CRLF; "
                        + "many servers reject such mail since the SMTP smuggling fixes.",
                    location: "line \(lines.firstLine)",
                    line: lines.firstLine
                )
            ]
        },
    ]
}
