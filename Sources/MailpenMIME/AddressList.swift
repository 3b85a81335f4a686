/// Parser for RFC 5322 address lists (§3.4) including the obsolete syntax of §4.4
/// and RFC 6532 UTF-8 addresses.
///
/// Accepts what real mail contains: groups, quoted and RFC 2047-encoded display names
/// (also encoded words inside quotes, as many clients send), comments (used as the
/// name when there is no other, `bob@example.com (Bob)`), source routes, empty list
/// elements and stray white space. Entries without an address are dropped.
public enum AddressList {
    /// Parses an unfolded header value (not RFC 2047-decoded) into mailboxes.
    public static func parse(_ value: String) -> [MIMEAddress] {
        let bytes = Array(value.utf8)
        if let mailbox = simpleMailbox(bytes) { return [mailbox] }
        return parseGeneral(bytes)
    }

    /// The whole grammar, for any value.
    package static func parseGeneral(_ bytes: [UInt8]) -> [MIMEAddress] {
        var parser = Parser(tokens: Tokenizer.tokenize(bytes))
        return parser.parseList()
    }

    enum Token: Equatable {
        case word([UInt8], quoted: Bool, spaceBefore: Bool)
        case comment([UInt8])
        case domainLiteral([UInt8], spaceBefore: Bool)
        case special(UInt8)
    }

    enum Tokenizer {
        @inline(__always)
        static func isSpecial(_ byte: UInt8) -> Bool {
            switch byte {
            case ASCII.lessThan, ASCII.greaterThan, ASCII.at, ASCII.comma, ASCII.semicolon, ASCII.colon:
                return true
            default:
                return false
            }
        }

        static func tokenize(_ bytes: [UInt8]) -> [Token] {
            var tokens: [Token] = []
            var index = 0
            var spaceBefore = false
            while index < bytes.count {
                let byte = bytes[index]
                if ASCII.isWhitespace(byte) {
                    spaceBefore = true
                    index += 1
                    continue
                }
                if byte == ASCII.openParen {
                    let end = ParameterList.skipComment(bytes, from: index)
                    var content: [UInt8] = []
                    var cursor = index + 1
                    let stop = min(end, bytes.count)
                    // Content without the outer parentheses; nested ones kept, escapes removed.
                    let innerEnd = stop > cursor && bytes[stop - 1] == ASCII.closeParen ? stop - 1 : stop
                    while cursor < innerEnd {
                        if bytes[cursor] == ASCII.backslash && cursor + 1 < innerEnd {
                            cursor += 1
                        }
                        content.append(bytes[cursor])
                        cursor += 1
                    }
                    tokens.append(.comment(content))
                    spaceBefore = true
                    index = end
                    continue
                }
                if byte == ASCII.quote {
                    var content: [UInt8] = []
                    index += 1
                    while index < bytes.count && bytes[index] != ASCII.quote {
                        if bytes[index] == ASCII.backslash && index + 1 < bytes.count {
                            index += 1
                        }
                        if bytes[index] != ASCII.cr && bytes[index] != ASCII.lf {
                            content.append(bytes[index])
                        }
                        index += 1
                    }
                    index += 1
                    tokens.append(.word(content, quoted: true, spaceBefore: spaceBefore))
                    spaceBefore = false
                    continue
                }
                if byte == ASCII.openBracket {
                    let start = index
                    while index < bytes.count && bytes[index] != ASCII.closeBracket {
                        index += 1
                    }
                    index = min(index + 1, bytes.count)
                    tokens.append(.domainLiteral(Array(bytes[start..<index]), spaceBefore: spaceBefore))
                    spaceBefore = false
                    continue
                }
                if isSpecial(byte) {
                    tokens.append(.special(byte))
                    spaceBefore = false
                    index += 1
                    continue
                }
                let start = index
                while index < bytes.count {
                    let current = bytes[index]
                    if ASCII.isWhitespace(current) || isSpecial(current) || current == ASCII.openParen
                        || current == ASCII.quote || current == ASCII.openBracket
                    {
                        break
                    }
                    index += 1
                }
                tokens.append(.word(Array(bytes[start..<index]), quoted: false, spaceBefore: spaceBefore))
                spaceBefore = false
            }
            return tokens
        }
    }

    /// A phrase or local-part word.
    typealias Word = (bytes: [UInt8], quoted: Bool, spaceBefore: Bool)

    struct Parser {
        var tokens: [Token]
        var index = 0
        var results: [MIMEAddress] = []

        init(tokens: [Token]) {
            self.tokens = tokens
        }

        mutating func parseList() -> [MIMEAddress] {
            var group: String? = nil
            while self.index < self.tokens.count {
                if case .special(let byte) = self.tokens[self.index] {
                    if byte == ASCII.comma {
                        self.index += 1
                        continue
                    }
                    if byte == ASCII.semicolon {
                        group = nil
                        self.index += 1
                        continue
                    }
                    if byte == ASCII.greaterThan || byte == ASCII.colon || byte == ASCII.at {
                        // Stray special with nothing before it.
                        if byte != ASCII.at {
                            self.index += 1
                            continue
                        }
                    }
                }
                self.parseEntry(group: &group)
            }
            return self.results
        }

        /// Parses one mailbox, or the start of a group.
        mutating func parseEntry(group: inout String?) {
            var phrase: [Word] = []
            var comments: [[UInt8]] = []
            while self.index < self.tokens.count {
                switch self.tokens[self.index] {
                case .word(let bytes, let quoted, let space):
                    phrase.append((bytes, quoted, space))
                    self.index += 1
                case .comment(let bytes):
                    comments.append(bytes)
                    self.index += 1
                case .domainLiteral(let bytes, let space):
                    phrase.append((bytes, false, space))
                    self.index += 1
                case .special(let byte):
                    switch byte {
                    case ASCII.colon where group == nil:
                        group = Self.displayName(phrase) ?? ""
                        self.index += 1
                        return
                    case ASCII.lessThan:
                        self.index += 1
                        let address = self.parseAngleAddress()
                        comments.append(contentsOf: self.skipToSeparator())
                        let name = Self.displayName(phrase) ?? Self.commentName(comments)
                        self.emit(name: name, address: address, group: group)
                        return
                    case ASCII.at:
                        // addr-spec: the last phrase word is the local part.
                        self.index += 1
                        var local: [Word] = []
                        // The local part is the last word plus any words glued to it without white space.
                        while let last = phrase.popLast() {
                            local.append(last)
                            if last.spaceBefore {
                                break
                            }
                        }
                        local.reverse()  // Gathered from the end: inserting at the front each time is quadratic.
                        let domain = self.parseDomain()
                        comments.append(contentsOf: self.skipToSeparator())
                        let address = Self.addrSpec(local: local, domain: domain)
                        let name = Self.displayName(phrase) ?? Self.commentName(comments)
                        self.emit(name: name, address: address, group: group)
                        return
                    default:
                        // "," ";" ">" or ":" inside a group end this entry.
                        if byte == ASCII.greaterThan || byte == ASCII.colon {
                            self.index += 1
                            continue
                        }
                        self.emitBare(phrase, comments: comments, group: group)
                        return
                    }
                }
            }
            self.emitBare(phrase, comments: comments, group: group)
        }

        /// A list element without "@" or "<": a lone word is kept as a local-only address.
        mutating func emitBare(
            _ phrase: [Word],
            comments: [[UInt8]],
            group: String?
        ) {
            guard phrase.count == 1, let word = phrase.first, !word.quoted else {
                return
            }
            let address = Self.addrSpec(local: phrase, domain: nil)
            self.emit(name: Self.commentName(comments), address: address, group: group)
        }

        mutating func emit(name: String?, address: String, group: String?) {
            guard !address.isEmpty else {
                return
            }
            self.results.append(MIMEAddress(name: name, address: address, group: group))
        }

        /// After "<": optional obsolete route, addr-spec, ">".
        mutating func parseAngleAddress() -> String {
            var local: [Word] = []
            var domain: [UInt8]? = nil
            while self.index < self.tokens.count {
                let token = self.tokens[self.index]
                self.index += 1
                switch token {
                case .word(let bytes, let quoted, let space):
                    if domain != nil {
                        domain?.append(contentsOf: bytes)
                    } else {
                        local.append((bytes, quoted, space))
                    }
                case .domainLiteral(let bytes, let space):
                    if domain != nil {
                        domain?.append(contentsOf: bytes)
                    } else {
                        local.append((bytes, false, space))
                    }
                case .comment:
                    continue
                case .special(let byte):
                    switch byte {
                    case ASCII.greaterThan:
                        return Self.addrSpec(local: local, domain: domain)
                    case ASCII.at:
                        if domain == nil {
                            domain = []
                        } else {
                            domain?.append(ASCII.at)
                        }
                    case ASCII.colon, ASCII.comma:
                        // Obsolete source route "@a,@b:" — discard what came before.
                        local.removeAll()
                        domain = nil
                    default:
                        // ";" or "<": malformed; stop here.
                        self.index -= 1
                        return Self.addrSpec(local: local, domain: domain)
                    }
                }
            }
            return Self.addrSpec(local: local, domain: domain)
        }

        /// The domain after "@": words and dots up to a separator.
        mutating func parseDomain() -> [UInt8] {
            var domain: [UInt8] = []
            var first = true
            while self.index < self.tokens.count {
                switch self.tokens[self.index] {
                case .word(let bytes, _, let space), .domainLiteral(let bytes, let space):
                    let continues = first || !space || domain.last == ASCII.dot || bytes.first == ASCII.dot
                    if !continues {
                        return domain
                    }
                    domain.append(contentsOf: bytes)
                    first = false
                    self.index += 1
                case .comment:
                    return domain
                case .special:
                    return domain
                }
            }
            return domain
        }

        /// Skips to the next "," or ";" (not consumed), collecting comments on the way.
        mutating func skipToSeparator() -> [[UInt8]] {
            var comments: [[UInt8]] = []
            while self.index < self.tokens.count {
                switch self.tokens[self.index] {
                case .special(let byte) where byte == ASCII.comma || byte == ASCII.semicolon:
                    return comments
                case .comment(let bytes):
                    comments.append(bytes)
                default:
                    break
                }
                self.index += 1
            }
            return comments
        }

        static func localPartNeedsQuoting(_ byte: UInt8) -> Bool {
            switch byte {
            case ASCII.openParen, ASCII.closeParen, ASCII.lessThan, ASCII.greaterThan, ASCII.at, ASCII.comma,
                ASCII.colon, ASCII.semicolon, ASCII.backslash, ASCII.quote, ASCII.openBracket, ASCII.closeBracket,
                ASCII.space, ASCII.tab:
                return true
            default:
                return false
            }
        }

        static func addrSpec(local: [Word], domain: [UInt8]?) -> String {
            var localBytes: [UInt8] = []
            for word in local {
                localBytes.append(contentsOf: word.bytes)
            }
            guard !localBytes.isEmpty else {
                return ""
            }
            var out: [UInt8] = []
            if localBytes.contains(where: localPartNeedsQuoting) {
                out.append(ASCII.quote)
                for byte in localBytes {
                    if byte == ASCII.quote || byte == ASCII.backslash {
                        out.append(ASCII.backslash)
                    }
                    out.append(byte)
                }
                out.append(ASCII.quote)
            } else {
                out = localBytes
            }
            if let domain, !domain.isEmpty {
                out.append(ASCII.at)
                out.append(contentsOf: domain)
            }
            return ByteText.string(utf8OrLatin1: out)
        }

        /// Joins phrase words with single spaces and decodes encoded words; nil when empty.
        static func displayName(_ phrase: [Word]) -> String? {
            guard !phrase.isEmpty else {
                return nil
            }
            var bytes: [UInt8] = []
            for (offset, word) in phrase.enumerated() {
                if offset > 0 && word.spaceBefore {
                    bytes.append(ASCII.space)
                }
                bytes.append(contentsOf: word.bytes)
            }
            let name = ByteText.trimmed(EncodedWord.decode(ByteText.string(utf8OrLatin1: bytes)))
            return name.isEmpty ? nil : name
        }

        static func commentName(_ comments: [[UInt8]]) -> String? {
            for comment in comments {
                let name = ByteText.trimmed(EncodedWord.decode(ByteText.string(utf8OrLatin1: comment)))
                if !name.isEmpty {
                    return name
                }
            }
            return nil
        }
    }
}
