import MailpenMIME

/// The ENVELOPE of a message (RFC 3501 §7.4.2) built from its header as written: dates, subjects and
/// display names keep their encoded words (clients decode them), addresses are split into name, route,
/// mailbox and host, and groups are marked as the RFC asks.
struct IMAPEnvelope: Equatable {
    /// One address structure; a group start has only `mailbox` (the group name), a group end has nothing.
    struct Address: Equatable {
        var name: [UInt8]?
        var route: [UInt8]?
        var mailbox: [UInt8]?
        var host: [UInt8]?
    }

    var date: [UInt8]?
    var subject: [UInt8]?
    var from: [Address]
    var sender: [Address]
    var replyTo: [Address]
    var to: [Address]
    var cc: [Address]
    var bcc: [Address]
    var inReplyTo: [UInt8]?
    var messageID: [UInt8]?

    /// The envelope of `part`: the message root, or the root of an encapsulated message.
    init(content: IMAPMessageContent, part: MIMEPart) {
        func addresses(_ name: String) -> [Address] {
            content.rawField(name, of: part).map(Self.parseAddresses) ?? []
        }
        func plain(_ name: String) -> [UInt8]? {
            content.rawField(name, of: part).map(IMAPBodyStructure.withoutLineBreaks)
        }
        date = plain("date")
        subject = content.rawField("subject", of: part).map(Self.forHumans)
        from = addresses("from")
        // RFC 3501: an absent or empty Sender or Reply-To is the From.
        let sender = addresses("sender")
        self.sender = sender.isEmpty ? from : sender
        let replyTo = addresses("reply-to")
        self.replyTo = replyTo.isEmpty ? from : replyTo
        to = addresses("to")
        cc = addresses("cc")
        bcc = addresses("bcc")
        inReplyTo = plain("in-reply-to")
        messageID = plain("message-id")
    }

    /// White space runs (folding included) as one space, ends trimmed: how Dovecot shows a subject.
    static func forHumans(_ value: [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        var pendingSpace = false
        for byte in value {
            if byte == 0x20 || byte == 0x09 || byte == 0x0D || byte == 0x0A {
                pendingSpace = !out.isEmpty
                continue
            }
            if pendingSpace { out.append(0x20) }
            pendingSpace = false
            out.append(byte)
        }
        return out
    }

    func write(to writer: inout IMAPWriter) {
        writer.raw("(")
        Self.write(date, to: &writer)
        writer.space()
        Self.write(subject, to: &writer)
        for list in [from, sender, replyTo, to, cc, bcc] {
            writer.space()
            Self.write(list, to: &writer)
        }
        writer.space()
        Self.write(inReplyTo, to: &writer)
        writer.space()
        Self.write(messageID, to: &writer)
        writer.raw(")")
    }

    private static func write(_ value: [UInt8]?, to writer: inout IMAPWriter) {
        if let value { writer.string(value) } else { writer.raw("NIL") }
    }

    private static func write(_ list: [Address], to writer: inout IMAPWriter) {
        guard !list.isEmpty else {
            writer.raw("NIL")
            return
        }
        writer.raw("(")
        for address in list {
            writer.raw("(")
            for (index, field) in [address.name, address.route, address.mailbox, address.host].enumerated() {
                if index > 0 { writer.space() }
                if let field { writer.string(field) } else { writer.raw("NIL") }
            }
            writer.raw(")")
        }
        writer.raw(")")
    }

    // MARK: - Address lists

    private static let specials: Set<UInt8> = Set("()<>[]:;@\\,.".utf8)

    /// Parses an address list (RFC 5322 §3.4 with the obsolete forms) leniently: every mailbox found is
    /// kept; a missing local part or domain is named as Dovecot names it.
    static func parseAddresses(_ value: [UInt8]) -> [Address] {
        let tokens = IMAPHeaderTokenizer.tokenize(value, specials: specials)
        var parser = AddressParser(tokens: tokens)
        return parser.addressList()
    }

    private struct AddressParser {
        let tokens: [IMAPHeaderTokenizer.Token]
        var index = 0
        var result: [Address] = []

        static let missingMailbox = Array("MISSING_MAILBOX".utf8)
        static let missingDomain = Array("MISSING_DOMAIN".utf8)

        init(tokens: [IMAPHeaderTokenizer.Token]) {
            self.tokens = tokens
        }

        var current: IMAPHeaderTokenizer.Token? { index < tokens.count ? tokens[index] : nil }

        mutating func addressList() -> [Address] {
            var afterComma = false
            while index < tokens.count {
                if current == .special(UInt8(ascii: ",")) {
                    // An empty element between two commas: Dovecot lists a mailbox with neither part.
                    if afterComma {
                        result.append(
                            Address(name: nil, route: nil, mailbox: Self.missingMailbox, host: Self.missingDomain))
                    }
                    afterComma = true
                    index += 1
                    continue
                }
                let before = index
                address(inGroup: false)
                afterComma = false
                if index == before { index += 1 }  // a stray special: skip it
            }
            return result
        }

        /// One mailbox or group; stops before `,` (and before `;` inside a group).
        mutating func address(inGroup: Bool) {
            var phrase: [[UInt8]] = []
            var comment: [UInt8]?
            var localPart: [UInt8] = []
            while let token = current {
                switch token {
                case .atom(let text), .quoted(let text):
                    phrase.append(text)
                    localPart.append(contentsOf: token.isQuoted ? Self.quotedLocalPart(text) : text)
                    index += 1
                case .special(UInt8(ascii: ".")):
                    localPart.append(UInt8(ascii: "."))
                    if !phrase.isEmpty { phrase[phrase.count - 1].append(UInt8(ascii: ".")) }
                    index += 1
                case .comment(let text):
                    if comment == nil { comment = text }
                    index += 1
                case .domainLiteral(let text):
                    phrase.append(text)
                    index += 1
                case .special(UInt8(ascii: ":")) where !inGroup:
                    index += 1
                    group(name: phrase)
                    return
                case .special(UInt8(ascii: "<")):
                    index += 1
                    angleAddress(name: phrase.isEmpty ? nil : Self.join(phrase))
                    skipToSeparator(inGroup: inGroup)
                    return
                case .special(UInt8(ascii: "@")):
                    index += 1
                    let (domain, trailingComment) = self.domain()
                    // `addr@host (Name)`: the comment names the mailbox.
                    let name = comment ?? trailingComment
                    result.append(
                        Address(
                            name: name.flatMap { $0.isEmpty ? nil : $0 }, route: nil,
                            mailbox: localPart.isEmpty ? Self.missingMailbox : localPart,
                            host: domain.isEmpty ? Self.missingDomain : domain))
                    skipToSeparator(inGroup: inGroup)
                    return
                case .special(UInt8(ascii: ",")):
                    finishBare(localPart)
                    return
                case .special(UInt8(ascii: ";")) where inGroup:
                    finishBare(localPart)
                    return
                case .special:
                    index += 1
                }
            }
            finishBare(localPart)
        }

        /// A word with no `@` after it: a mailbox without a domain.
        mutating func finishBare(_ localPart: [UInt8]) {
            guard !localPart.isEmpty else { return }
            result.append(Address(name: nil, route: nil, mailbox: localPart, host: Self.missingDomain))
        }

        mutating func group(name: [[UInt8]]) {
            result.append(Address(name: nil, route: nil, mailbox: Self.join(name), host: nil))
            while let token = current, token != .special(UInt8(ascii: ";")) {
                let before = index
                address(inGroup: true)
                if current == .special(UInt8(ascii: ",")) { index += 1 }
                if index == before { index += 1 }
            }
            if current == .special(UInt8(ascii: ";")) { index += 1 }
            result.append(Address(name: nil, route: nil, mailbox: nil, host: nil))
        }

        /// After `<`: an optional obsolete route, `local@domain`, `>`.
        mutating func angleAddress(name: [UInt8]?) {
            var route: [UInt8] = []
            if current == .special(UInt8(ascii: "@")) {
                // obs-route: 1#("@" domain) ":"
                while let token = current, token != .special(UInt8(ascii: ":")), token != .special(UInt8(ascii: ">")) {
                    switch token {
                    case .atom(let text), .domainLiteral(let text): route.append(contentsOf: text)
                    case .special(let byte): route.append(byte)
                    default: break
                    }
                    index += 1
                }
                if current == .special(UInt8(ascii: ":")) { index += 1 }
            }
            var localPart: [UInt8] = []
            while let token = current {
                if case .special(let byte) = token, byte == UInt8(ascii: "@") || byte == UInt8(ascii: ">") { break }
                switch token {
                case .atom(let text): localPart.append(contentsOf: text)
                case .quoted(let text): localPart.append(contentsOf: Self.quotedLocalPart(text))
                case .special(UInt8(ascii: ".")): localPart.append(UInt8(ascii: "."))
                default: break
                }
                index += 1
            }
            var domain: [UInt8] = []
            if current == .special(UInt8(ascii: "@")) {
                index += 1
                domain = self.domain().domain
            }
            if current == .special(UInt8(ascii: ">")) { index += 1 }
            if localPart.isEmpty && domain.isEmpty && name == nil { return }  // `<>`
            result.append(
                Address(
                    name: name, route: route.isEmpty ? nil : route,
                    mailbox: localPart.isEmpty ? Self.missingMailbox : localPart,
                    host: domain.isEmpty ? Self.missingDomain : domain))
        }

        /// A domain, and the first comment in or after it.
        mutating func domain() -> (domain: [UInt8], comment: [UInt8]?) {
            var domain: [UInt8] = []
            var comment: [UInt8]?
            while let token = current {
                switch token {
                case .atom(let text), .domainLiteral(let text): domain.append(contentsOf: text)
                case .special(UInt8(ascii: ".")): domain.append(UInt8(ascii: "."))
                case .comment(let text): if comment == nil { comment = text }
                default: return (domain, comment)
                }
                index += 1
            }
            return (domain, comment)
        }

        mutating func skipToSeparator(inGroup: Bool) {
            while let token = current {
                if token == .special(UInt8(ascii: ",")) { return }
                if inGroup && token == .special(UInt8(ascii: ";")) { return }
                index += 1
            }
        }

        /// Phrase words joined by single spaces.
        static func join(_ words: [[UInt8]]) -> [UInt8] {
            var out: [UInt8] = []
            for word in words {
                if !out.isEmpty { out.append(0x20) }
                out.append(contentsOf: word)
            }
            return out
        }

        /// A quoted local part keeps its quotes when it needs them.
        static func quotedLocalPart(_ text: [UInt8]) -> [UInt8] {
            let plain = !text.isEmpty && text.allSatisfy { $0 > 0x20 && $0 < 0x7F && !AddressParser.needsQuotes($0) }
            if plain { return text }
            var out: [UInt8] = [UInt8(ascii: "\"")]
            for byte in text {
                if byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") { out.append(UInt8(ascii: "\\")) }
                out.append(byte)
            }
            out.append(UInt8(ascii: "\""))
            return out
        }

        static func needsQuotes(_ byte: UInt8) -> Bool {
            IMAPEnvelope.specials.contains(byte) && byte != UInt8(ascii: ".") || byte == UInt8(ascii: "\"")
        }
    }
}

extension IMAPHeaderTokenizer.Token {
    var isQuoted: Bool {
        if case .quoted = self { return true }
        return false
    }
}
