import MailpenMIME

/// Rules over the header: missing and malformed fields, Subject style, From and Reply-To.
extension BuiltinSpamRules {
    static let headerRules: [BuiltinSpamRule] = [
        BuiltinSpamRule("MISSING_DATE", 1.396, "Missing Date: header") { $0.header.first(named: "date") == nil },
        BuiltinSpamRule("MISSING_MID", 0.14, "Missing Message-Id: header") {
            $0.header.first(named: "message-id") == nil
        },
        BuiltinSpamRule("MISSING_SUBJECT", 1.767, "Missing Subject: header") {
            $0.header.first(named: "subject") == nil
        },
        BuiltinSpamRule("MISSING_FROM", 1.0, "Missing From: header") { $0.header.first(named: "from") == nil },
        BuiltinSpamRule("MISSING_HEADERS", 1.207, "Missing To: header") { $0.header.first(named: "to") == nil },
        BuiltinSpamRule("INVALID_DATE", 0.432, "Invalid Date: header (not RFC 2822)") { input in
            input.header.first(named: "date") != nil && input.message.date == nil
        },
        BuiltinSpamRule("INVALID_MSGID", 1.167, "Message-Id is not valid, according to RFC 2822") { input in
            guard let field = input.header.first(named: "message-id") else {
                return false
            }
            let value = field.unfoldedValue
            return !(value.hasPrefix("<") && value.contains(">"))
        },
        BuiltinSpamRule("MSGID_NOFQDN1", 1.0, "Message-ID with no domain name") { input in
            guard let value = input.header.first(named: "message-id")?.unfoldedValue, value.hasPrefix("<") else {
                return false
            }
            return !value.contains("@")
        },
        BuiltinSpamRule("SUBJ_ALL_CAPS", 0.5, "Subject is all capitals") { input in
            input.subject.map(Self.isAllCaps) ?? false
        },
        BuiltinSpamRule("SUBJ_ILLEGAL_CHARS", 1.105, "Subject: has too many raw illegal characters") { input in
            guard input.envelope?.smtpUTF8 != true, let raw = input.header.first(named: "subject")?.raw else {
                return false
            }
            return raw.unicodeScalars.reduce(0) { $0 + ($1.isASCII ? 0 : 1) } >= 3
        },
        BuiltinSpamRule("PLING_QUERY", 0.1, "Subject has exclamation mark and question mark") { input in
            guard let subject = input.subject else {
                return false
            }
            return subject.contains("!") && subject.contains("?")
        },
        BuiltinSpamRule("LOCALPART_IN_SUBJECT", 0.73, "Local part of To: address appears in Subject") { input in
            guard let subject = input.subject, let to = input.message.to.first else {
                return false
            }
            let local = ByteText.lowercasedASCII(DomainNames.localPart(ofAddress: to.address))
            return local.count >= 3 && ByteText.lowercasedASCII(subject).contains(local)
        },
        BuiltinSpamRule("FROM_EXCESS_BASE64", 0.001, "From: base64 encoded unnecessarily") { input in
            guard let field = input.header.first(named: "from") else {
                return false
            }
            let raw = ByteText.lowercasedASCII(field.unfoldedValue)
            return raw.contains("=?") && raw.contains("?b?") && field.value.unicodeScalars.allSatisfy(\.isASCII)
        },
        BuiltinSpamRule("FROM_LOCAL_HEX", 0.331, "From: localpart has long hexadecimal sequence") { input in
            guard let from = input.from else {
                return false
            }
            return Self.longestRun(in: DomainNames.localPart(ofAddress: from.address), where: ASCII.isHexDigit) >= 11
        },
        BuiltinSpamRule("FROM_LOCAL_DIGITS", 0.001, "From: localpart has long digit sequence") { input in
            guard let from = input.from else {
                return false
            }
            return Self.longestRun(in: DomainNames.localPart(ofAddress: from.address), where: ASCII.isDigit) >= 11
        },
        BuiltinSpamRule("FREEMAIL_FROM", 0.001, "Sender email is commonly abused enduser mail provider") { input in
            input.fromIsFreemail
        },
        BuiltinSpamRule("FREEMAIL_REPLYTO", 2.0, "Freemail From with a different Reply-To") { input in
            guard input.fromIsFreemail, let from = input.from, let replyTo = input.replyTo else {
                return false
            }
            return ByteText.lowercasedASCII(from.address) != ByteText.lowercasedASCII(replyTo.address)
        },
        BuiltinSpamRule("FREEMAIL_FORGED_REPLYTO", 0.1, "Freemail in Reply-To, but not From") { input in
            guard let replyTo = input.replyTo, let domain = DomainNames.domain(ofAddress: replyTo.address) else {
                return false
            }
            return DomainNames.isFreemail(domain) && !input.fromIsFreemail
        },
        BuiltinSpamRule("FREEMAIL_REPLYTO_END_DIGIT", 0.1, "Reply-To freemail username ends in digit") { input in
            guard let replyTo = input.replyTo, let domain = DomainNames.domain(ofAddress: replyTo.address),
                DomainNames.isFreemail(domain)
            else {
                return false
            }
            return DomainNames.localPart(ofAddress: replyTo.address).utf8.last.map(ASCII.isDigit) ?? false
        },
        BuiltinSpamRule("FREEMAIL_ENVFROM_END_DIGIT", 0.1, "Envelope-from freemail username ends in digit") { input in
            guard let mailFrom = input.envelope?.mailFrom, let domain = DomainNames.domain(ofAddress: mailFrom),
                DomainNames.isFreemail(domain)
            else {
                return false
            }
            return DomainNames.localPart(ofAddress: mailFrom).utf8.last.map(ASCII.isDigit) ?? false
        },
        BuiltinSpamRule(
            "HEADER_FROM_DIFFERENT_DOMAINS",
            0.25,
            "From and EnvelopeFrom 2nd level mail domains are different"
        ) { $0.fromDiffersFromEnvelope },
        BuiltinSpamRule(
            "FREEMAIL_FORGED_FROMDOMAIN",
            0.25,
            "2nd level domains in From and EnvelopeFrom freemail headers are different"
        ) { $0.fromIsFreemail && $0.fromDiffersFromEnvelope },
        BuiltinSpamRule("MIME_HEADER_CTYPE_ONLY", 0.1, "'Content-Type' found without required MIME headers") { input in
            input.header.first(named: "content-type") != nil && input.header.first(named: "mime-version") == nil
        },
    ]

    /// At least 10 characters, two words, some capitals and no lowercase letter.
    static func isAllCaps(_ subject: String) -> Bool {
        let trimmed = Bytes.trimmed(subject)
        guard trimmed.count >= 10, trimmed.contains(" ") else {
            return false
        }
        var capitals = 0
        for scalar in trimmed.unicodeScalars {
            if scalar.properties.isLowercase {
                return false
            }
            if scalar.properties.isUppercase {
                capitals += 1
            }
        }
        return capitals >= 5
    }

    /// The longest run of ASCII bytes of `text` satisfying `predicate`.
    static func longestRun(in text: String, where predicate: (UInt8) -> Bool) -> Int {
        var longest = 0
        var current = 0
        for byte in text.utf8 {
            current = predicate(byte) ? current + 1 : 0
            longest = max(longest, current)
        }
        return longest
    }
}

extension SpamInput {
    var fromIsFreemail: Bool {
        guard let from, let domain = DomainNames.domain(ofAddress: from.address) else {
            return false
        }
        return DomainNames.isFreemail(domain)
    }

    /// True when the envelope sender's organizational domain is not the From's.
    var fromDiffersFromEnvelope: Bool {
        guard let mailFrom = self.envelope?.mailFrom, let envelopeDomain = DomainNames.domain(ofAddress: mailFrom),
            let from = self.from, let fromDomain = DomainNames.domain(ofAddress: from.address)
        else {
            return false
        }
        return DomainNames.organizationalDomain(envelopeDomain) != DomainNames.organizationalDomain(fromDomain)
    }
}
