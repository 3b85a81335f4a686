import MailpenMIME

/// Writes BODY and BODYSTRUCTURE (RFC 3501 §7.4.2) for a message: types, parameters, ids, descriptions,
/// encodings and disposition as the headers write them (parameters in header order, RFC 2231 pieces as
/// they are), sizes and line counts of the CRLF bytes the session serves, message/rfc822 parts with
/// their envelope and structure, and — for BODYSTRUCTURE — the extension data (MD5 is always NIL).
struct IMAPBodyStructure {
    let content: IMAPMessageContent
    let extensible: Bool

    func write(to writer: inout IMAPWriter) {
        write(content.message.root, to: &writer)
    }

    private func write(_ part: MIMEPart, to writer: inout IMAPWriter) {
        let header = Self.ContentType(part: part, content: content)
        writer.raw("(")
        if part.isMultipart && !part.children.isEmpty {
            for child in part.children { write(child, to: &writer) }
            writer.space()
            writer.string(header.subtype)
            if extensible {
                writer.space()
                Self.writeParameters(header.parameters, to: &writer)
                writeExtensions(of: part, to: &writer)
            }
            writer.raw(")")
            return
        }
        // A multipart without parts is described as text/plain, as Dovecot does.
        let isBrokenMultipart = part.isMultipart
        let type = isBrokenMultipart ? "text" : header.type
        let subtype = isBrokenMultipart ? "plain" : header.subtype
        var parameters = isBrokenMultipart ? [] : header.parameters
        // Dovecot names the default charset of text parts; clients then need not know RFC 2045's default.
        if type.lowercased() == "text" && !parameters.contains(where: { $0.0.lowercased() == "charset" }) {
            parameters.append(("charset", "us-ascii"))
        }
        writer.string(type)
        writer.space()
        writer.string(subtype)
        writer.space()
        Self.writeParameters(parameters, to: &writer)
        writer.space()
        writeField("content-id", of: part, to: &writer)
        writer.space()
        writeField("content-description", of: part, to: &writer)
        writer.space()
        if let encoding = content.rawField("content-transfer-encoding", of: part).map(Self.withoutLineBreaks),
            !encoding.isEmpty
        {
            writer.string(encoding)
        } else {
            writer.string("7bit")
        }
        writer.space()
        let body = content.bodyRange(of: part)
        writer.raw(String(body.count))
        let lowerType = type.lowercased()
        if lowerType == "message", subtype.lowercased() == "rfc822" || subtype.lowercased() == "global",
            let encapsulated = part.children.first
        {
            writer.space()
            IMAPEnvelope(content: content, part: encapsulated).write(to: &writer)
            writer.space()
            write(encapsulated, to: &writer)
            writer.space()
            writer.raw(String(lineCount(body)))
        } else if lowerType == "text" {
            writer.space()
            writer.raw(String(lineCount(body)))
        }
        if extensible {
            writer.space()
            writer.raw("NIL")  // body-fld-md5
            writeExtensions(of: part, to: &writer)
        }
        writer.raw(")")
    }

    /// Disposition, language and location (the extension data after the MD5 or the multipart parameters).
    private func writeExtensions(of part: MIMEPart, to writer: inout IMAPWriter) {
        writer.space()
        if let disposition = content.rawField("content-disposition", of: part),
            let parsed = Self.parseParameterized(disposition, hasSubtype: false)
        {
            writer.raw("(")
            writer.string(parsed.type)
            writer.space()
            Self.writeParameters(parsed.parameters, to: &writer)
            writer.raw(")")
        } else {
            writer.raw("NIL")
        }
        writer.space()
        let languages = (content.rawField("content-language", of: part) ?? [])
            .split(whereSeparator: { $0 == UInt8(ascii: ",") || $0 == 0x20 || $0 == 0x09 || $0 == 0x0D || $0 == 0x0A })
        // Always a list, as Dovecot writes it.
        if languages.isEmpty {
            writer.raw("NIL")
        } else {
            writer.raw("(")
            for (index, language) in languages.enumerated() {
                if index > 0 { writer.space() }
                writer.string(language)
            }
            writer.raw(")")
        }
        writer.space()
        writeField("content-location", of: part, to: &writer)
    }

    /// A field's value as written, line breaks removed, or NIL.
    private func writeField(_ name: String, of part: MIMEPart, to writer: inout IMAPWriter) {
        if let value = content.rawField(name, of: part) {
            writer.string(Self.withoutLineBreaks(value))
        } else {
            writer.raw("NIL")
        }
    }

    static func withoutLineBreaks(_ value: [UInt8]) -> [UInt8] {
        value.filter { $0 != 0x0D && $0 != 0x0A }
    }

    private func lineCount(_ range: Range<Int>) -> Int {
        var lines = 0
        // Line breaks, as Dovecot counts: a last line without one does not count.
        for index in range where content.bytes[index] == 0x0A { lines += 1 }
        return lines
    }

    private static func writeParameters(_ parameters: [(String, String)], to writer: inout IMAPWriter) {
        guard !parameters.isEmpty else {
            writer.raw("NIL")
            return
        }
        writer.raw("(")
        for (index, (name, value)) in parameters.enumerated() {
            if index > 0 { writer.space() }
            writer.string(name)
            writer.space()
            writer.string(value)
        }
        writer.raw(")")
    }

    // MARK: - Content-Type and Content-Disposition as written

    /// The Content-Type of a part as written in its header, or the default MailpenMIME settled on.
    struct ContentType {
        var type: String
        var subtype: String
        var parameters: [(String, String)]

        init(part: MIMEPart, content: IMAPMessageContent) {
            if let value = content.rawField("content-type", of: part),
                let parsed = IMAPBodyStructure.parseParameterized(value, hasSubtype: true),
                parsed.type.lowercased() == part.contentType.type,
                parsed.subtype.lowercased() == part.contentType.subtype
            {
                type = parsed.type
                subtype = parsed.subtype
                parameters = parsed.parameters
            } else {
                // Absent or invalid: RFC 2045's default (or message/rfc822 inside a digest).
                type = part.contentType.type
                subtype = part.contentType.subtype
                parameters = []
            }
        }
    }

    private static let mimeSpecials: Set<UInt8> = Set("()<>@,;:\\\"/[]?=".utf8)

    /// `type[/subtype] *(; name=value)` with the header's own spelling; nil when the type is missing.
    static func parseParameterized(_ value: [UInt8], hasSubtype: Bool) -> (
        type: String, subtype: String, parameters: [(String, String)]
    )? {
        let tokens = IMAPHeaderTokenizer.tokenize(value, specials: mimeSpecials).filter {
            if case .comment = $0 { return false }
            return true
        }
        var index = 0
        func atom() -> String? {
            guard index < tokens.count, case .atom(let text) = tokens[index] else { return nil }
            index += 1
            return String(decoding: text, as: UTF8.self)
        }
        func special(_ byte: UInt8) -> Bool {
            guard index < tokens.count, tokens[index] == .special(byte) else { return false }
            index += 1
            return true
        }
        guard let type = atom() else { return nil }
        var subtype = ""
        if hasSubtype {
            guard special(UInt8(ascii: "/")), let value = atom() else { return nil }
            subtype = value
        }
        var parameters: [(String, String)] = []
        while index < tokens.count {
            guard special(UInt8(ascii: ";")) else {
                index += 1
                continue
            }
            guard let name = atom(), special(UInt8(ascii: "=")), index < tokens.count else { continue }
            switch tokens[index] {
            case .atom(let text), .quoted(let text):
                index += 1
                // Some senders put specials in unquoted values (`name=a=b`); take them along.
                var value = text
                while index < tokens.count, case .special(let byte) = tokens[index], byte != UInt8(ascii: ";") {
                    value.append(byte)
                    index += 1
                    if index < tokens.count, case .atom(let more) = tokens[index] {
                        value.append(contentsOf: more)
                        index += 1
                    }
                }
                parameters.append((name, String(decoding: value, as: UTF8.self)))
            default:
                continue
            }
        }
        return (type, subtype, mergingRFC2231Continuations(parameters))
    }

    /// Joins RFC 2231 pieces (`name*0*=…; name*1=…`) into one `name*` (or `name`) parameter as Dovecot
    /// does, so clients that decode RFC 2231 see one value: plain pieces of an extended value get their
    /// `%` escaped, and a value whose first piece is plain gets an empty charset and language. Pieces
    /// with a gap in their numbering are left as they are.
    static func mergingRFC2231Continuations(_ parameters: [(String, String)]) -> [(String, String)] {
        struct Piece {
            var key: String
            var index: Int
            var extended: Bool
            var value: String
            var order: Int
        }
        var plain: [(String, String)] = []
        var pieces: [Piece] = []
        for (order, (name, value)) in parameters.enumerated() {
            guard let star = name.firstIndex(of: "*") else {
                plain.append((name, value))
                continue
            }
            var rest = name[name.index(after: star)...]
            var index = 0
            let digits = rest.prefix { $0.isASCII && $0.isNumber }
            var extended = digits.isEmpty  // `name*`: one extended value
            if !digits.isEmpty {
                guard digits.count <= 4, let number = Int(digits) else {
                    plain.append((name, value))
                    continue
                }
                index = number
                rest = rest.dropFirst(digits.count)
                extended = rest == "*"
                if extended { rest = rest.dropFirst() }
            }
            guard rest.isEmpty else {
                plain.append((name, value))
                continue
            }
            pieces.append(
                Piece(key: String(name[..<star]), index: index, extended: extended, value: value, order: order))
        }
        guard !pieces.isEmpty else { return plain }
        pieces.sort { ($0.key, $0.index, $0.order) < ($1.key, $1.index, $1.order) }
        var merged = plain
        var start = 0
        while start < pieces.count {
            var end = start
            while end < pieces.count, pieces[end].key.lowercased() == pieces[start].key.lowercased() { end += 1 }
            let group = pieces[start..<end]
            let complete = group.enumerated().allSatisfy { $0.offset == $0.element.index }
            let hasExtended = group.contains { $0.extended }
            if complete {
                var value = !group[start].extended && hasExtended ? "''" : ""
                for piece in group {
                    value += !piece.extended && hasExtended ? piece.value.replacingPercent : piece.value
                }
                merged.append((group[start].key + (hasExtended ? "*" : ""), value))
            } else {
                for piece in group {
                    merged.append(("\(piece.key)*\(piece.index)" + (piece.extended ? "*" : ""), piece.value))
                }
            }
            start = end
        }
        return merged
    }
}

extension String {
    /// `%` written as `%25`, for a plain piece inside an RFC 2231 extended value.
    fileprivate var replacingPercent: String {
        var out = ""
        for character in self { out += character == "%" ? "%25" : String(character) }
        return out
    }
}
