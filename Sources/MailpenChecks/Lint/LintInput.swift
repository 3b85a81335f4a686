import MailpenMIME

/// What the lint rules read, worked out once.
struct LintInput {
    let message: MIMEMessage
    let envelope: CheckEnvelope?
    let raw: RawMessageScan

    init(_ context: CheckContext) {
        self.message = context.message
        self.envelope = context.envelope
        self.raw = RawMessageScan(context.message.raw)
    }

    var header: MIMEHeader {
        self.message.header
    }

    /// "part 1.2 (text/html)".
    func describe(_ part: MIMEPart) -> String {
        "part \(part.id) (\(part.contentType.mimeType))"
    }
}

/// A lint rule: reads the input, returns its findings (none when the message is fine).
struct LintRule: Sendable {
    let id: String
    let check: @Sendable (LintInput) -> [LintFinding]

    init(_ id: String, check: @escaping @Sendable (LintInput) -> [LintFinding]) {
        self.id = id
        self.check = check
    }
}

/// Runs every lint rule.
enum LintCheck {
    static let rules: [LintRule] = headerRules + bodyRules + bulkRules + envelopeRules + lineRules + mimeRules

    static func report(_ context: CheckContext) -> LintReport {
        let input = LintInput(context)
        var findings: [LintFinding] = []
        for rule in self.rules {
            findings.append(contentsOf: rule.check(input))
        }
        // Stable: most severe first, rule order within a severity.
        let ordered = LintSeverity.allInOrder.flatMap { severity in findings.filter { $0.severity == severity } }
        return LintReport(findings: ordered)
    }
}

extension LintSeverity {
    static let allInOrder: [LintSeverity] = [.error, .warning, .info]
}
