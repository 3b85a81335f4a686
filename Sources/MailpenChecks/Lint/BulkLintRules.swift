import MailpenMIME

/// Unsubscribe headers on mail that looks like bulk mail (RFC 2369, RFC 8058; Gmail and
/// Yahoo require one-click unsubscribe from bulk senders since 2024).
extension LintCheck {
    static let bulkRules: [LintRule] = [
        LintRule("missing-list-unsubscribe") { input in
            guard input.header.first(named: "list-unsubscribe") == nil, let reason = input.bulkReason else {
                return []
            }
            return [
                LintFinding(
                    id: "missing-list-unsubscribe",
                    severity: .warning,
                    message:
                        "Looks like bulk mail (\(reason)) but has no List-Unsubscribe header; "
                        + "Gmail and Yahoo require it (with one-click, RFC 8058) from bulk senders.",
                    location: "header List-Unsubscribe"
                )
            ]
        },
        LintRule("missing-one-click-unsubscribe") { input in
            guard let field = input.header.first(named: "list-unsubscribe") else {
                return []
            }
            let hasHTTPS = ByteText.lowercasedASCII(field.unfoldedValue).contains("<https://")
            let post = input.header.first(named: "list-unsubscribe-post")?.unfoldedValue
            let hasPost =
                post.map { ByteText.lowercasedASCII($0).filter { $0 != " " } == "list-unsubscribe=one-click" } ?? false
            if hasHTTPS && hasPost {
                return []
            }
            let problem: String
            if !hasHTTPS {
                problem = "List-Unsubscribe has no https URI, so one-click unsubscribe (RFC 8058) is impossible"
            } else if post == nil {
                problem =
                    "List-Unsubscribe has an https URI but there is no "
                    + "\"List-Unsubscribe-Post: List-Unsubscribe=One-Click\""
            } else {
                problem = "List-Unsubscribe-Post must be exactly \"List-Unsubscribe=One-Click\""
            }
            return [
                LintFinding(
                    id: "missing-one-click-unsubscribe",
                    severity: .warning,
                    message: problem + "; Gmail and Yahoo require one-click unsubscribe from bulk senders.",
                    location: post == nil ? "header List-Unsubscribe" : "header List-Unsubscribe-Post"
                )
            ]
        },
    ]
}

extension LintInput {
    /// Why the message looks like bulk mail, or nil.
    var bulkReason: String? {
        if let precedence = self.header["precedence"].map(ByteText.lowercasedASCII),
            ["bulk", "list", "junk"].contains(Bytes.trimmed(precedence))
        {
            return "Precedence: \(Bytes.trimmed(precedence))"
        }
        for name in ["list-id", "feedback-id", "x-campaign", "x-campaign-id", "x-mailgun-tag", "x-mc-user", "x-sg-eid"]
        where self.header.first(named: name) != nil {
            return "it has a \(self.header.first(named: name)?.name ?? name) header"
        }
        if let text = self.message.textBody, ByteText.lowercasedASCII(text).contains("unsubscribe") {
            return "its text mentions unsubscribing"
        }
        if ByteText.lowercasedASCII(self.message.htmlText).contains("unsubscribe") {
            return "its HTML mentions unsubscribing"
        }
        return nil
    }
}
