import MailpenMIME

/// Required and well-formed header fields (RFC 5322 §3.6).
extension LintCheck {
    static let headerRules: [LintRule] = [
        LintRule("missing-from") { input in
            guard input.header.first(named: "from") == nil else {
                return []
            }
            return [
                LintFinding(
                    id: "missing-from",
                    severity: .error,
                    message:
                        "No From header. RFC 5322 requires one; "
                        + "Gmail and most receivers reject or junk mail without it.",
                    location: "header From"
                )
            ]
        },
        LintRule("missing-date") { input in
            guard input.header.first(named: "date") == nil else {
                return []
            }
            return [
                LintFinding(
                    id: "missing-date",
                    severity: .error,
                    message:
                        "No Date header. RFC 5322 requires one; receivers add their own or score the mail as spam.",
                    location: "header Date"
                )
            ]
        },
        LintRule("invalid-date") { input in
            guard let field = input.header.first(named: "date"), input.message.date == nil else {
                return []
            }
            return [
                LintFinding(
                    id: "invalid-date",
                    severity: .warning,
                    message: "The Date header \"\(field.value)\" is not an RFC 5322 date-time.",
                    location: "header Date"
                )
            ]
        },
        LintRule("missing-message-id") { input in
            guard input.header.first(named: "message-id") == nil else {
                return []
            }
            return [
                LintFinding(
                    id: "missing-message-id",
                    severity: .error,
                    message:
                        "No Message-ID header. Gmail rejects such mail (550 5.7.1) and threading breaks without it.",
                    location: "header Message-ID"
                )
            ]
        },
        LintRule("invalid-message-id") { input in
            guard let field = input.header.first(named: "message-id"),
                input.message.messageID.map({ !$0.contains("@") }) ?? true
            else {
                return []
            }
            return [
                LintFinding(
                    id: "invalid-message-id",
                    severity: .warning,
                    message: "The Message-ID \"\(field.value)\" is not of the form <unique@domain>.",
                    location: "header Message-ID"
                )
            ]
        },
        LintRule("missing-subject") { input in
            guard input.header.first(named: "subject") == nil else {
                return []
            }
            return [
                LintFinding(
                    id: "missing-subject",
                    severity: .info,
                    message: "No Subject header; spam filters score mail without a subject.",
                    location: "header Subject"
                )
            ]
        },
        LintRule("missing-mime-version") { input in
            guard input.header.first(named: "mime-version") == nil,
                input.header.first(named: "content-type") != nil
                    || input.header.first(named: "content-transfer-encoding") != nil
            else {
                return []
            }
            return [
                LintFinding(
                    id: "missing-mime-version",
                    severity: .warning,
                    message:
                        "MIME headers without \"MIME-Version: 1.0\" (RFC 2045 §4); "
                        + "some clients then ignore the MIME structure.",
                    location: "header MIME-Version"
                )
            ]
        },
    ]
}
