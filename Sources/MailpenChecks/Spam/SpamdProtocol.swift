import MailpenMIME

/// spamd's SPAMC/1.5 protocol (SpamAssassin's `spamd/PROTOCOL`): building requests and
/// reading replies into a `SpamReport`. Pure; the connection lives in MailpenChecksNetwork's
/// `SpamdClient`.
package enum SpamdProtocol {
    /// What spamd is asked for.
    package enum Command: String, Sendable {
        /// Score plus the names of the rules that fired.
        case symbols = "SYMBOLS"
        /// Score plus the report table, with each rule's points and description.
        case report = "REPORT"
    }

    /// The request bytes: command line, headers, blank line, message.
    package static func request(_ command: Command, message: [UInt8], user: String?) -> [UInt8] {
        var head = "\(command.rawValue) SPAMC/1.5\r\nContent-length: \(message.count)\r\n"
        if let user, !user.isEmpty {
            head += "User: \(user)\r\n"
        }
        head += "\r\n"
        return Array(head.utf8) + message
    }

    /// Why a reply could not be read.
    package struct ReplyError: Error, Equatable, CustomStringConvertible {
        package var description: String

        package init(description: String) {
            self.description = description
        }
    }

    /// Reads a complete reply (spamd closes the connection after it).
    package static func parseReply(_ bytes: [UInt8], command: Command) throws(ReplyError) -> SpamReport {
        let text = String(decoding: bytes, as: UTF8.self)
        let headEnd = text.firstRange(of: "\r\n\r\n") ?? text.firstRange(of: "\n\n")
        let head = headEnd.map { text[..<$0.lowerBound] } ?? text[...]
        let body = headEnd.map { text[$0.upperBound...] } ?? ""
        let lines = head.split(
            omittingEmptySubsequences: true,
            whereSeparator: { $0 == "\r\n" || $0 == "\n" || $0 == "\r" }
        )
        guard let status = lines.first else {
            throw ReplyError(description: "empty reply")
        }
        // "SPAMD/1.1 0 EX_OK"
        let statusWords = status.split(separator: " ", maxSplits: 2)
        guard statusWords.count >= 2, statusWords[0].hasPrefix("SPAMD/") else {
            throw ReplyError(description: "not a spamd reply: \(status.prefix(80))")
        }
        guard statusWords[1] == "0" else {
            throw ReplyError(
                description: "spamd error \(statusWords[1]) \(statusWords.count > 2 ? String(statusWords[2]) : "")"
            )
        }
        var spamHeader: Substring? = nil
        for line in lines.dropFirst() {
            if let colon = line.firstIndex(of: ":"), ByteText.lowercasedASCII(String(line[..<colon])) == "spam" {
                spamHeader = line[line.index(after: colon)...]
            }
        }
        guard let spamHeader, let (isSpam, score, threshold) = Self.parseSpamHeader(spamHeader) else {
            throw ReplyError(description: "reply has no valid Spam header")
        }
        let rules: [SpamRule]
        switch command {
        case .symbols:
            rules = body.split(whereSeparator: { $0 == "," || $0.isNewline }).compactMap { name in
                let name = Bytes.trimmed(name)
                return name.isEmpty ? nil : SpamRule(name: name, score: 0, description: "")
            }
        case .report:
            rules = Self.parseReportTable(body)
        }
        return SpamReport(
            score: score,
            threshold: threshold,
            isSpam: isSpam,
            engine: "spamassassin",
            rules: rules.sorted { $0.score != $1.score ? $0.score > $1.score : $0.name < $1.name }
        )
    }

    /// `" True ; 15.0 / 5.0"` → (true, 15, 5).
    static func parseSpamHeader(_ value: Substring) -> (Bool, Double, Double)? {
        let parts = value.split(separator: ";", maxSplits: 1)
        guard parts.count == 2 else {
            return nil
        }
        let verdict = ByteText.lowercasedASCII(Bytes.trimmed(parts[0]))
        let numbers = parts[1].split(separator: "/", maxSplits: 1)
        guard numbers.count == 2, let score = Double(Bytes.trimmed(numbers[0])),
            let threshold = Double(Bytes.trimmed(numbers[1]))
        else {
            return nil
        }
        return (verdict == "true" || verdict == "yes", score, threshold)
    }

    /// Reads SpamAssassin's report table:
    ///
    ///      pts rule name              description
    ///     ---- ---------------------- --------------------------------------------------
    ///     1000 GTUBE                  BODY: Generic Test for Unsolicited Bulk Email
    ///      0.1 MISSING_MID            Missing Message-Id: header
    ///                                 [continued description]
    static func parseReportTable(_ body: Substring) -> [SpamRule] {
        var rules: [SpamRule] = []
        var inTable = false
        for line in body.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline) {
            if !inTable {
                inTable = line.hasPrefix("----")
                continue
            }
            let words = line.split(separator: " ", maxSplits: 2, omittingEmptySubsequences: true)
            if let first = words.first, let score = Double(first), words.count >= 2,
                words[1].allSatisfy({ $0.isUppercase || $0.isNumber || $0 == "_" })
            {
                let description = words.count > 2 ? Bytes.trimmed(words[2]) : ""
                rules.append(SpamRule(name: String(words[1]), score: score, description: description))
            } else if line.first == " " || line.first == "\t", !rules.isEmpty, !Bytes.trimmed(line).isEmpty {
                let index = rules.count - 1
                let continuation = Bytes.trimmed(line)
                rules[index].description += rules[index].description.isEmpty ? continuation : " " + continuation
            } else if Bytes.trimmed(line).isEmpty && !rules.isEmpty {
                break
            }
        }
        return rules
    }
}
