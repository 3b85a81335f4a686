/// Parses one complete IMAP command (the framer has gathered its lines and literals) into an
/// ``IMAPCommand``, following RFC 3501 §9's grammar with the extensions Mailpen offers. Keywords are
/// case-insensitive. A command that does not parse throws an ``IMAPParseError`` whose reason goes into the
/// `BAD` response; the tag, when it could be read, is kept so the response can be tagged.
public enum IMAPCommandParser {
    /// A command that failed to parse, with the tag when one was read.
    public struct Failure: Error, Sendable, Hashable {
        public var tag: String?
        public var reason: String
    }

    /// Parses `bytes`: the command without its final CRLF.
    public static func parse(_ bytes: [UInt8]) throws(Failure) -> IMAPCommand {
        var buffer = IMAPParseBuffer(bytes)
        let tag: String
        do {
            tag = try buffer.tag()
            try buffer.space()
        } catch {
            throw Failure(tag: nil, reason: "missing or invalid tag")
        }
        do {
            let kind = try command(&buffer)
            try buffer.end()
            return IMAPCommand(tag: tag, kind: kind)
        } catch {
            throw Failure(tag: tag, reason: error.reason)
        }
    }

    /// The tag at the start of a partial command, if it has one (for answering a refused literal or an
    /// overlong command). Any length the command parser accepts is found, so every answer to a command
    /// carries the same tag.
    package static func tag(of bytes: some Collection<UInt8>) -> String? {
        let end = bytes.firstIndex { !IMAPParseBuffer.isAtomChar($0) || $0 == UInt8(ascii: "+") }
        guard let end, end != bytes.startIndex, bytes[end] == UInt8(ascii: " ") else { return nil }
        return String(decoding: bytes[..<end], as: UTF8.self)
    }

    static func command(_ buffer: inout IMAPParseBuffer) throws(IMAPParseError) -> IMAPCommand.Kind {
        let keyword = try buffer.atom().uppercased()
        switch keyword {
        case "CAPABILITY": return .capability
        case "NOOP": return .noop
        case "LOGOUT": return .logout
        case "STARTTLS": return .startTLS
        case "NAMESPACE": return .namespace
        case "CHECK": return .check
        case "CLOSE": return .close
        case "UNSELECT": return .unselect
        case "EXPUNGE": return .expunge
        case "IDLE": return .idle
        case "AUTHENTICATE":
            try buffer.space()
            let mechanism = try buffer.atom().uppercased()
            var initial: String?
            if buffer.take(" ") {
                initial = try buffer.run("an initial response") { IMAPParseBuffer.isBase64Char($0) }
            }
            return .authenticate(mechanism: mechanism, initialResponse: initial)
        case "LOGIN":
            try buffer.space()
            let username = try buffer.astring()
            try buffer.space()
            return .login(username: username, password: try buffer.astring())
        case "ENABLE":
            var names: [String] = []
            repeat {
                try buffer.space()
                names.append(try buffer.atom().uppercased())
            } while !buffer.isAtEnd
            return .enable(names)
        case "ID":
            try buffer.space()
            return .id(try idParameters(&buffer))
        case "SELECT": return .select(mailbox: try spaceMailbox(&buffer))
        case "EXAMINE": return .examine(mailbox: try spaceMailbox(&buffer))
        case "CREATE": return .create(mailbox: try spaceMailbox(&buffer))
        case "DELETE": return .delete(mailbox: try spaceMailbox(&buffer))
        case "SUBSCRIBE": return .subscribe(mailbox: try spaceMailbox(&buffer))
        case "UNSUBSCRIBE": return .unsubscribe(mailbox: try spaceMailbox(&buffer))
        case "RENAME":
            let from = try spaceMailbox(&buffer)
            return .rename(from: from, to: try spaceMailbox(&buffer))
        case "LIST", "LSUB":
            let reference = try spaceMailbox(&buffer)
            try buffer.space()
            let pattern = try buffer.listMailbox()
            return keyword == "LIST"
                ? .list(reference: reference, pattern: pattern) : .lsub(reference: reference, pattern: pattern)
        case "STATUS":
            let mailbox = try spaceMailbox(&buffer)
            try buffer.space()
            try buffer.expect("(")
            var attributes: [IMAPStatusAttribute] = []
            repeat {
                let name = try buffer.atom().uppercased()
                guard let attribute = IMAPStatusAttribute(rawValue: name) else {
                    throw IMAPParseError("unknown status item \(name.prefix(32))")
                }
                attributes.append(attribute)
            } while buffer.take(" ")
            try buffer.expect(")")
            return .status(mailbox: mailbox, attributes: attributes)
        case "APPEND":
            let mailbox = try spaceMailbox(&buffer)
            try buffer.space()
            if buffer.peek == UInt8(ascii: "(") {
                _ = try buffer.flagList()
                try buffer.space()
            }
            if buffer.peek == UInt8(ascii: "\"") {
                // A quoted date-time, unless the quoted string is the message itself.
                let saved = buffer.position
                _ = try buffer.quoted()
                if !buffer.take(" ") { buffer.position = saved }
            }
            _ = try buffer.string()
            return .append(mailbox: mailbox)
        case "SEARCH": return try search(&buffer, byUID: false)
        case "FETCH": return try fetch(&buffer, byUID: false)
        case "STORE": return try store(&buffer, byUID: false)
        case "COPY", "MOVE":
            try buffer.space()
            let set = try buffer.sequenceSet()
            let mailbox = try spaceMailbox(&buffer)
            return keyword == "COPY"
                ? .copy(set, mailbox: mailbox, byUID: false) : .move(set, mailbox: mailbox, byUID: false)
        case "UID":
            try buffer.space()
            let sub = try buffer.atom().uppercased()
            switch sub {
            case "SEARCH": return try search(&buffer, byUID: true)
            case "FETCH": return try fetch(&buffer, byUID: true)
            case "STORE": return try store(&buffer, byUID: true)
            case "EXPUNGE":
                try buffer.space()
                return .uidExpunge(try buffer.sequenceSet())
            case "COPY", "MOVE":
                try buffer.space()
                let set = try buffer.sequenceSet()
                let mailbox = try spaceMailbox(&buffer)
                return sub == "COPY"
                    ? .copy(set, mailbox: mailbox, byUID: true) : .move(set, mailbox: mailbox, byUID: true)
            default:
                throw IMAPParseError("unknown UID command")
            }
        default:
            throw IMAPParseError("unknown command")
        }
    }

    private static func spaceMailbox(_ buffer: inout IMAPParseBuffer) throws(IMAPParseError) -> String {
        try buffer.space()
        return try buffer.mailbox()
    }

    private static func idParameters(_ buffer: inout IMAPParseBuffer) throws(IMAPParseError) -> [IMAPIDField]? {
        if buffer.take("NIL") { return nil }
        try buffer.expect("(")
        var fields: [IMAPIDField] = []
        if buffer.take(")") { return fields }
        repeat {
            let name = IMAPParseBuffer.text(try buffer.string())
            try buffer.space()
            fields.append(IMAPIDField(name: name, value: try buffer.nstring()))
        } while buffer.take(" ")
        try buffer.expect(")")
        guard fields.count <= 30 else { throw IMAPParseError("too many ID fields") }
        return fields
    }

    // MARK: - STORE

    private static func store(_ buffer: inout IMAPParseBuffer, byUID: Bool) throws(IMAPParseError) -> IMAPCommand.Kind {
        try buffer.space()
        let set = try buffer.sequenceSet()
        try buffer.space()
        let operation: IMAPStoreFlags.Operation =
            buffer.take("+") ? .add : buffer.take("-") ? .remove : .replace
        try buffer.expect("FLAGS")
        let silent = buffer.take(".SILENT")
        try buffer.space()
        var flags: [IMAPFlag]
        if buffer.peek == UInt8(ascii: "(") {
            flags = try buffer.flagList()
        } else {
            flags = [try buffer.flag()]
            while buffer.take(" ") { flags.append(try buffer.flag()) }
        }
        return .store(set, IMAPStoreFlags(operation: operation, silent: silent, flags: flags), byUID: byUID)
    }

    // MARK: - FETCH

    private static func fetch(_ buffer: inout IMAPParseBuffer, byUID: Bool) throws(IMAPParseError) -> IMAPCommand.Kind {
        try buffer.space()
        let set = try buffer.sequenceSet()
        try buffer.space()
        var attributes: [IMAPFetchAttribute]
        if buffer.take("(") {
            attributes = []
            repeat { attributes.append(try fetchAttribute(&buffer)) } while buffer.take(" ")
            try buffer.expect(")")
        } else if buffer.take("ALL") {
            attributes = [.flags, .internalDate, .rfc822Size, .envelope]
        } else if buffer.take("FAST") {
            attributes = [.flags, .internalDate, .rfc822Size]
        } else if buffer.take("FULL") {
            attributes = [.flags, .internalDate, .rfc822Size, .envelope, .bodyStructure(extensible: false)]
        } else {
            attributes = [try fetchAttribute(&buffer)]
        }
        return .fetch(set, attributes, byUID: byUID)
    }

    static func fetchAttribute(_ buffer: inout IMAPParseBuffer) throws(IMAPParseError) -> IMAPFetchAttribute {
        let name = try buffer.run("a fetch item") { byte in
            let upper = IMAPParseBuffer.upper(byte)
            return (upper >= UInt8(ascii: "A") && upper <= UInt8(ascii: "Z"))
                || (byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9"))
                || byte == UInt8(ascii: ".")
        }.uppercased()
        switch name {
        case "ENVELOPE": return .envelope
        case "FLAGS": return .flags
        case "INTERNALDATE": return .internalDate
        case "RFC822": return .rfc822
        case "RFC822.HEADER": return .rfc822Header
        case "RFC822.SIZE": return .rfc822Size
        case "RFC822.TEXT": return .rfc822Text
        case "BODYSTRUCTURE": return .bodyStructure(extensible: true)
        case "UID": return .uid
        case "BODY", "BODY.PEEK":
            guard buffer.peek == UInt8(ascii: "[") else {
                guard name == "BODY" else { throw IMAPParseError("BODY.PEEK needs a section") }
                return .bodyStructure(extensible: false)
            }
            let section = try self.section(&buffer)
            var partial: IMAPPartialRange?
            if buffer.take("<") {
                let origin = try buffer.number()
                try buffer.expect(".")
                let length = try buffer.nonZeroNumber()
                try buffer.expect(">")
                partial = IMAPPartialRange(origin: origin, length: length)
            }
            return .section(section, partial: partial, peek: name == "BODY.PEEK")
        default:
            throw IMAPParseError("unknown fetch item \(name.prefix(32))")
        }
    }

    static func section(_ buffer: inout IMAPParseBuffer) throws(IMAPParseError) -> IMAPSection {
        try buffer.expect("[")
        var section = IMAPSection()
        if buffer.take("]") { return section }
        while let byte = buffer.peek, byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") {
            section.part.append(try buffer.nonZeroNumber())
            guard section.part.count <= 64 else { throw IMAPParseError("section nested too deeply") }
            guard buffer.take(".") else {
                try buffer.expect("]")
                return section
            }
        }
        if buffer.take("HEADER.FIELDS.NOT") {
            section.text = .headerFields(try headerList(&buffer), not: true)
        } else if buffer.take("HEADER.FIELDS") {
            section.text = .headerFields(try headerList(&buffer), not: false)
        } else if buffer.take("HEADER") {
            section.text = .header
        } else if buffer.take("TEXT") {
            section.text = .text
        } else if !section.part.isEmpty, buffer.take("MIME") {
            section.text = .mime
        } else {
            throw IMAPParseError("invalid section")
        }
        try buffer.expect("]")
        return section
    }

    private static func headerList(_ buffer: inout IMAPParseBuffer) throws(IMAPParseError) -> [String] {
        try buffer.space()
        try buffer.expect("(")
        var names: [String] = []
        repeat {
            let name = try buffer.astring()
            guard !name.isEmpty, name.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7F && $0 != UInt8(ascii: ":") }) else {
                throw IMAPParseError("invalid header field name")
            }
            names.append(name.uppercased())
        } while buffer.take(" ")
        try buffer.expect(")")
        return names
    }

    // MARK: - SEARCH

    private static func search(_ buffer: inout IMAPParseBuffer, byUID: Bool) throws(IMAPParseError) -> IMAPCommand.Kind
    {
        try buffer.space()
        var charset: String?
        if buffer.take("CHARSET ") {
            charset = try buffer.astring().uppercased()
            try buffer.space()
        }
        var keys: [IMAPSearchKey] = [try searchKey(&buffer)]
        while buffer.take(" ") { keys.append(try searchKey(&buffer)) }
        return .search(keys.count == 1 ? keys[0] : .and(keys), charset: charset, byUID: byUID)
    }

    static func searchKey(_ buffer: inout IMAPParseBuffer) throws(IMAPParseError) -> IMAPSearchKey {
        try buffer.nested { (buffer: inout IMAPParseBuffer) throws(IMAPParseError) -> IMAPSearchKey in
            if buffer.take("(") {
                var keys: [IMAPSearchKey] = [try searchKey(&buffer)]
                while buffer.take(" ") { keys.append(try searchKey(&buffer)) }
                try buffer.expect(")")
                return keys.count == 1 ? keys[0] : .and(keys)
            }
            if let byte = buffer.peek,
                byte == UInt8(ascii: "*") || (byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9"))
            {
                return .sequenceNumbers(try buffer.sequenceSet())
            }
            let name = try buffer.atom().uppercased()
            func string(_ buffer: inout IMAPParseBuffer) throws(IMAPParseError) -> String {
                try buffer.space()
                return try buffer.astring()
            }
            func date(_ buffer: inout IMAPParseBuffer) throws(IMAPParseError) -> IMAPDate {
                try buffer.space()
                return try buffer.date()
            }
            switch name {
            case "ALL": return .all
            case "ANSWERED": return .flag(.answered, set: true)
            case "DELETED": return .flag(.deleted, set: true)
            case "DRAFT": return .flag(.draft, set: true)
            case "FLAGGED": return .flag(.flagged, set: true)
            case "SEEN": return .flag(.seen, set: true)
            case "UNANSWERED": return .flag(.answered, set: false)
            case "UNDELETED": return .flag(.deleted, set: false)
            case "UNDRAFT": return .flag(.draft, set: false)
            case "UNFLAGGED": return .flag(.flagged, set: false)
            case "UNSEEN": return .flag(.seen, set: false)
            case "KEYWORD", "UNKEYWORD":
                try buffer.space()
                return .flag(IMAPFlag(try buffer.atom()), set: name == "KEYWORD")
            case "NEW": return .new
            case "OLD": return .recent(false)
            case "RECENT": return .recent(true)
            case "BCC", "CC", "FROM", "SUBJECT", "TO": return .header(name, try string(&buffer))
            case "HEADER":
                let field = try string(&buffer)
                return .header(field.uppercased(), try string(&buffer))
            case "BODY": return .body(try string(&buffer))
            case "TEXT": return .text(try string(&buffer))
            case "BEFORE": return .received(.before, try date(&buffer))
            case "ON": return .received(.on, try date(&buffer))
            case "SINCE": return .received(.since, try date(&buffer))
            case "SENTBEFORE": return .sent(.before, try date(&buffer))
            case "SENTON": return .sent(.on, try date(&buffer))
            case "SENTSINCE": return .sent(.since, try date(&buffer))
            case "LARGER", "SMALLER":
                try buffer.space()
                let size = try buffer.number()
                return name == "LARGER" ? .larger(size) : .smaller(size)
            case "UID":
                try buffer.space()
                return .uids(try buffer.sequenceSet())
            case "NOT":
                try buffer.space()
                return .not(try searchKey(&buffer))
            case "OR":
                try buffer.space()
                let first = try searchKey(&buffer)
                try buffer.space()
                return .or(first, try searchKey(&buffer))
            default:
                throw IMAPParseError("unknown search key \(name.prefix(32))")
            }
        }
    }
}

extension IMAPParseBuffer {
    static func isBase64Char(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
            UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "+"), UInt8(ascii: "/"), UInt8(ascii: "="):
            return true
        default:
            return false
        }
    }
}
