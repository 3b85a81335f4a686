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
        let header = Self.ContentType(part: part)
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
        let parameters = isBrokenMultipart ? [("charset", "us-ascii")] : header.parameters
        writer.string(type)
        writer.space()
        writer.string(subtype)
        writer.space()
        Self.writeParameters(parameters, to: &writer)
        writer.space()
        writer.nstring(part.header.first(named: "content-id")?.unfoldedValue)
        writer.space()
        writer.nstring(part.header.first(named: "content-description")?.unfoldedValue)
        writer.space()
        writer.string(part.header.first(named: "content-transfer-encoding")?.unfoldedValue ?? "7bit")
        writer.space()
        let body = content.bodyRange(of: part)
        writer.raw(String(body.count))
        let lowerType = type.lowercased()
        if lowerType == "message", subtype.lowercased() == "rfc822" || subtype.lowercased() == "global",
            let encapsulated = part.children.first
        {
            writer.space()
            IMAPEnvelope(header: encapsulated.header).write(to: &writer)
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
        if let disposition = part.header.first(named: "content-disposition")?.unfoldedValue,
            let parsed = Self.parseParameterized(Array(disposition.utf8), hasSubtype: false)
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
        let languages = (part.header.first(named: "content-language")?.unfoldedValue ?? "")
            .split(whereSeparator: { $0 == "," || $0 == " " || $0 == "\t" }).map(String.init)
        if languages.count == 1 {
            writer.string(languages[0])
        } else if languages.isEmpty {
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
        writer.nstring(part.header.first(named: "content-location")?.unfoldedValue)
    }

    private func lineCount(_ range: Range<Int>) -> Int {
        var lines = 0
        for index in range where content.bytes[index] == 0x0A { lines += 1 }
        // A last line without a line break still counts.
        if let last = range.last, content.bytes[last] != 0x0A { lines += 1 }
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

        init(part: MIMEPart) {
            if let value = part.header.first(named: "content-type")?.unfoldedValue,
                let parsed = IMAPBodyStructure.parseParameterized(Array(value.utf8), hasSubtype: true),
                parsed.type.lowercased() == part.contentType.type, parsed.subtype.lowercased() == part.contentType.subtype
            {
                type = parsed.type
                subtype = parsed.subtype
                parameters = parsed.parameters
            } else {
                // Absent or invalid: RFC 2045's default (or message/rfc822 inside a digest).
                type = part.contentType.type
                subtype = part.contentType.subtype
                parameters = part.contentType.type == "text" ? [("charset", "us-ascii")] : []
            }
        }
    }

    private static let mimeSpecials: Set<UInt8> = Set("()<>@,;:\\\"/[]?=".utf8)

    /// `type[/subtype] *(; name=value)` with the header's own spelling; nil when the type is missing.
    static func parseParameterized(_ value: [UInt8], hasSubtype: Bool) -> (type: String, subtype: String, parameters: [(String, String)])? {
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
        return (type, subtype, parameters)
    }
}
