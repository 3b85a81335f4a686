import MailpenMIME

/// Structural problems the MIME parser recorded: boundaries, charsets, encodings.
extension LintCheck {
    static let mimeRules: [LintRule] = [
        LintRule("mime-structure") { input in
            var findings: [LintFinding] = []
            for part in input.message.allParts {
                var problems = part.problems
                // The parser validates charsets of 7bit/8bit bodies only; encoded text is checked here.
                if part.children.isEmpty, part.contentType.type == "text",
                    part.transferEncoding == "base64" || part.transferEncoding == "quoted-printable",
                    let decoded = input.message.decodedTextWithProblems(of: part)
                {
                    problems += decoded.problems.filter { !problems.contains($0) }
                }
                for problem in problems {
                    if let finding = Self.finding(for: problem, in: part, input: input) {
                        findings.append(finding)
                    }
                }
            }
            return findings
        }
    ]

    /// The finding for one parser problem; nil for those other rules report (bare LF, 8-bit headers).
    static func finding(for problem: MIMEProblem, in part: MIMEPart, input: LintInput) -> LintFinding? {
        let location = input.describe(part)
        switch problem {
        case .missingFinalBoundary:
            let boundary = part.contentType.parameters["boundary"] ?? ""
            return LintFinding(
                id: "mime-missing-final-boundary",
                severity: .error,
                message:
                    "The multipart never closes with \"--\(boundary)--\"; clients may drop or misplace its last part.",
                location: location,
                partID: part.id
            )
        case .boundaryNotFound:
            let boundary = part.contentType.parameters["boundary"]
            return LintFinding(
                id: "mime-boundary-not-found",
                severity: .error,
                message: boundary.map {
                    "The boundary \"\($0)\" never occurs in the body; clients show the raw MIME source."
                }
                    ?? "The multipart has no boundary parameter; clients show the raw MIME source.",
                location: location,
                partID: part.id
            )
        case .nestingTooDeep:
            return LintFinding(
                id: "mime-nesting-too-deep",
                severity: .warning,
                message: "MIME parts are nested too deeply to be read.",
                location: location,
                partID: part.id
            )
        case .tooManyParts:
            return LintFinding(
                id: "mime-too-many-parts",
                severity: .warning,
                message: "The message has more MIME parts than can be read; the parts after the limit are not shown.",
                location: location,
                partID: part.id
            )
        case .unknownCharset(let charset):
            return LintFinding(
                id: "unknown-charset",
                severity: .error,
                message:
                    "The charset \"\(charset)\" is not a known character set; clients will guess and may show garbage.",
                location: location,
                partID: part.id
            )
        case .invalidCharsetData(let charset):
            return LintFinding(
                id: "invalid-charset-data",
                severity: .warning,
                message: "The text is not valid \(charset); clients will show replacement characters or mojibake.",
                location: location,
                partID: part.id
            )
        case .invalidTransferEncoding(let encoding):
            let message =
                encoding == "7bit"
                ? "The part is declared 7bit but contains 8-bit bytes; declare 8bit (with BODY=8BITMIME) or encode it."
                : "\"\(encoding)\" is not a valid Content-Transfer-Encoding; clients cannot decode the part."
            return LintFinding(
                id: "invalid-transfer-encoding",
                severity: .error,
                message: message,
                location: location,
                partID: part.id
            )
        case .malformedHeader(let line):
            return LintFinding(
                id: "malformed-header",
                severity: .error,
                message:
                    "Line \(line) in a header block is neither a field nor a continuation; "
                    + "the header ends there for strict parsers.",
                location: "line \(line)",
                line: line,
                partID: part.id
            )
        case .bareLF, .eightBitHeader:
            return nil
        }
    }
}
