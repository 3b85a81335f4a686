/// Parses one SMTP command line (without its line ending) into an ``SMTPCommand``.
///
/// The parser is lenient where real clients are sloppy (a space after `FROM:`, a path without angle
/// brackets, lower-case verbs, a source route) and strict where the input cannot be meant as a command
/// (control characters, invalid UTF-8, malformed parameters).
public enum SMTPCommandParser {
    /// Parses `line`, which must not contain the terminating CRLF or LF.
    public static func parse(_ line: some Collection<UInt8>) throws(SMTPCommandError) -> SMTPCommand {
        let command =
            line.withContiguousStorageIfAvailable { SMTPASCIICommandParser.parse($0) }
            ?? Array(line).withUnsafeBufferPointer { SMTPASCIICommandParser.parse($0) }
        if let command { return command }
        return try parseAsText(line)
    }

    /// Parses `line` as text, character by character: every command, every error. ``parse(_:)`` comes here
    /// for whatever its byte-level path for the common commands does not take.
    package static func parseAsText(_ line: some Collection<UInt8>) throws(SMTPCommandError) -> SMTPCommand {
        for byte in line where byte < 0x20 && byte != 0x09 || byte == 0x7F {
            throw SMTPCommandError(.invalidCharacters)
        }
        guard let text = String(validating: Array(line), as: UTF8.self) else {
            throw SMTPCommandError(.invalidUTF8)
        }
        let trimmed = text.trimmingSMTPWhitespace()
        let verbEnd = trimmed.firstIndex(where: { $0 == " " || $0 == "\t" }) ?? trimmed.endIndex
        let verb = trimmed[..<verbEnd].uppercased()
        let argument = String(trimmed[verbEnd...]).trimmingSMTPWhitespace()

        switch verb {
        case "HELO":
            return .hello(domain: try parseDomainArgument(argument, verb: "HELO"))
        case "EHLO":
            return .extendedHello(domain: try parseDomainArgument(argument, verb: "EHLO"))
        case "MAIL":
            let (path, parameters) = try parsePathCommand(argument, prefix: "FROM:", syntax: "MAIL FROM:<address>")
            return .mail(reversePath: path, parameters: parameters)
        case "RCPT":
            let (path, parameters) = try parsePathCommand(argument, prefix: "TO:", syntax: "RCPT TO:<address>")
            guard !path.isEmpty else {
                throw SMTPCommandError(.syntax("RCPT TO:<address>, the address must not be empty"))
            }
            return .recipient(forwardPath: path, parameters: parameters)
        case "DATA":
            try requireNoArgument(argument, verb: "DATA")
            return .data
        case "BDAT":
            return try parseBinaryData(argument)
        case "RSET":
            try requireNoArgument(argument, verb: "RSET")
            return .reset
        case "NOOP":
            return .noop
        case "QUIT":
            try requireNoArgument(argument, verb: "QUIT")
            return .quit
        case "HELP":
            return .help(topic: argument.isEmpty ? nil : argument)
        case "VRFY":
            guard !argument.isEmpty else { throw SMTPCommandError(.syntax("VRFY address")) }
            return .verify(argument)
        case "EXPN":
            guard !argument.isEmpty else { throw SMTPCommandError(.syntax("EXPN list")) }
            return .expand(argument)
        case "STARTTLS":
            try requireNoArgument(argument, verb: "STARTTLS")
            return .startTLS
        case "AUTH":
            return try parseAuthenticate(argument)
        default:
            throw SMTPCommandError(.unrecognized)
        }
    }

    private static func requireNoArgument(_ argument: String, verb: String) throws(SMTPCommandError) {
        guard argument.isEmpty else { throw SMTPCommandError(.syntax("\(verb) takes no arguments")) }
    }

    private static func parseDomainArgument(_ argument: String, verb: String) throws(SMTPCommandError) -> String {
        guard !argument.isEmpty, !argument.contains(" "), !argument.contains("\t") else {
            throw SMTPCommandError(.syntax("\(verb) hostname"))
        }
        return argument
    }

    private static func parseBinaryData(_ argument: String) throws(SMTPCommandError) -> SMTPCommand {
        let words = argument.split(whereSeparator: { $0 == " " || $0 == "\t" })
        guard let first = words.first, first.count <= 15, first.allSatisfy({ $0.isASCII && $0.isNumber }),
            let size = Int(first)
        else {
            throw SMTPCommandError(.syntax("BDAT size [LAST]"))
        }
        // Once the size is read, its chunk follows whatever comes after it on the line.
        switch words.count {
        case 1: return .binaryData(size: size, isLast: false)
        case 2 where words[1].uppercased() == "LAST": return .binaryData(size: size, isLast: true)
        default: throw SMTPCommandError(.syntax("BDAT size [LAST]"), chunkSize: size)
        }
    }

    private static func parseAuthenticate(_ argument: String) throws(SMTPCommandError) -> SMTPCommand {
        let words = argument.split(whereSeparator: { $0 == " " || $0 == "\t" })
        guard (1...2).contains(words.count) else {
            throw SMTPCommandError(.syntax("AUTH mechanism [initial-response]"))
        }
        let mechanism = words[0].uppercased()
        let initialResponse = words.count == 2 ? String(words[1]) : nil
        return .authenticate(mechanism: mechanism, initialResponse: initialResponse)
    }

    /// Parses `FROM:<path> params` or `TO:<path> params`.
    private static func parsePathCommand(
        _ argument: String,
        prefix: String,
        syntax: String
    ) throws(SMTPCommandError) -> (String, [SMTPParameter]) {
        guard argument.uppercased().hasPrefix(prefix) else { throw SMTPCommandError(.syntax(syntax)) }
        let rest = argument.dropFirst(prefix.count).drop(while: { $0 == " " || $0 == "\t" })
        guard let (path, remainder) = splitPath(rest) else { throw SMTPCommandError(.syntax(syntax)) }
        let address = try normalizedAddress(path, syntax: syntax)
        let parameters = try parseParameters(remainder)
        return (address, parameters)
    }

    /// Splits `<path> rest` (or a bare `path rest`) honouring quoted local parts.
    private static func splitPath(_ text: Substring) -> (Substring, Substring)? {
        guard let first = text.first else { return nil }
        if first != "<" {
            let end = text.firstIndex(where: { $0 == " " || $0 == "\t" }) ?? text.endIndex
            return (text[..<end], text[end...])
        }
        var index = text.index(after: text.startIndex)
        var inQuotes = false
        while index < text.endIndex {
            let character = text[index]
            if character == "\\" && inQuotes {
                index = text.index(after: index)
                guard index < text.endIndex else { return nil }
            } else if character == "\"" {
                inQuotes.toggle()
            } else if character == ">" && !inQuotes {
                let path = text[text.index(after: text.startIndex)..<index]
                let remainder = text[text.index(after: index)...]
                guard remainder.isEmpty || remainder.first == " " || remainder.first == "\t" else { return nil }
                return (path, remainder)
            }
            index = text.index(after: index)
        }
        return nil
    }

    /// Removes an obsolete source route and checks the mailbox has the shape `local@domain`.
    private static func normalizedAddress(_ path: Substring, syntax: String) throws(SMTPCommandError) -> String {
        var mailbox = path
        if mailbox.first == "@" {
            guard let colon = mailbox.firstIndex(of: ":") else { throw SMTPCommandError(.syntax(syntax)) }
            mailbox = mailbox[mailbox.index(after: colon)...]
        }
        if mailbox.isEmpty { return "" }
        if mailbox.lowercased() == "postmaster" { return String(mailbox) }
        guard let at = mailbox.lastIndex(of: "@"),
            at != mailbox.startIndex,
            mailbox.index(after: at) != mailbox.endIndex,
            !mailbox.contains(" ") || mailbox.first == "\""
        else {
            throw SMTPCommandError(.badAddress(path))
        }
        return String(mailbox)
    }

    private static func parseParameters(_ text: Substring) throws(SMTPCommandError) -> [SMTPParameter] {
        var parameters: [SMTPParameter] = []
        for word in text.split(whereSeparator: { $0 == " " || $0 == "\t" }) {
            let keyword: Substring
            let value: String?
            if let equals = word.firstIndex(of: "=") {
                keyword = word[..<equals]
                value = String(word[word.index(after: equals)...])
            } else {
                keyword = word
                value = nil
            }
            guard let first = keyword.first, first.isASCII, first.isLetter || first.isNumber,
                keyword.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-") })
            else {
                throw SMTPCommandError(.syntax("malformed parameter \(word)"))
            }
            if let value, value.isEmpty || value.contains("=") {
                throw SMTPCommandError(.syntax("malformed parameter value in \(word)"))
            }
            parameters.append(SMTPParameter(keyword: keyword.uppercased(), value: value))
        }
        return parameters
    }
}

extension StringProtocol {
    func trimmingSMTPWhitespace() -> String {
        let isSpace: (Character) -> Bool = { $0 == " " || $0 == "\t" }
        guard let start = firstIndex(where: { !isSpace($0) }), let end = lastIndex(where: { !isSpace($0) }) else {
            return ""
        }
        return String(self[start...end])
    }
}
