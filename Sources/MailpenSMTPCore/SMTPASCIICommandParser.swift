/// The byte-level path of ``SMTPCommandParser`` for the commands of every transaction (EHLO, HELO, MAIL,
/// RCPT, DATA, RSET, NOOP, QUIT) on a line of printable ASCII: it reads the line once and allocates only
/// the strings of the command it returns, where the text path allocates a string for every step.
///
/// In printable ASCII every byte is a character of its own, so this path gives the same command as the text
/// path; it returns `nil` for anything else — other commands, other bytes, and every malformed line — which
/// the text path then parses, errors included. The SMTP fuzzer checks that both paths agree.
enum SMTPASCIICommandParser {
    private static let space = UInt8(ascii: " ")
    private static let tab = UInt8(ascii: "\t")

    static func parse(_ line: UnsafeBufferPointer<UInt8>) -> SMTPCommand? {
        var start = 0
        var end = line.count
        for byte in line where byte < 0x20 && byte != tab || byte >= 0x7F { return nil }
        while start < end, isSpace(line[start]) { start += 1 }
        while end > start, isSpace(line[end - 1]) { end -= 1 }
        var verbEnd = start
        while verbEnd < end, !isSpace(line[verbEnd]) { verbEnd += 1 }
        guard verbEnd - start == 4 else { return nil }
        var argumentStart = verbEnd
        while argumentStart < end, isSpace(line[argumentStart]) { argumentStart += 1 }
        let argument = UnsafeBufferPointer(rebasing: line[argumentStart..<end])
        switch verb(line[start], line[start + 1], line[start + 2], line[start + 3]) {
        case verb("M", "A", "I", "L"):
            guard let (path, parameters) = pathCommand(argument, prefix: "FROM:") else { return nil }
            return .mail(reversePath: path, parameters: parameters)
        case verb("R", "C", "P", "T"):
            guard let (path, parameters) = pathCommand(argument, prefix: "TO:"), !path.isEmpty else { return nil }
            return .recipient(forwardPath: path, parameters: parameters)
        case verb("D", "A", "T", "A"):
            return argument.isEmpty ? .data : nil
        case verb("R", "S", "E", "T"):
            return argument.isEmpty ? .reset : nil
        case verb("Q", "U", "I", "T"):
            return argument.isEmpty ? .quit : nil
        case verb("N", "O", "O", "P"):
            return .noop
        case verb("E", "H", "L", "O"):
            return domain(argument).map { .extendedHello(domain: $0) }
        case verb("H", "E", "L", "O"):
            return domain(argument).map { .hello(domain: $0) }
        default:
            return nil
        }
    }

    private static func isSpace(_ byte: UInt8) -> Bool { byte == space || byte == tab }

    private static func upper(_ byte: UInt8) -> UInt8 {
        byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "z") ? byte - 0x20 : byte
    }

    /// Four letters as one number, upper-cased, to compare a verb in one step.
    private static func verb(_ a: UInt8, _ b: UInt8, _ c: UInt8, _ d: UInt8) -> UInt32 {
        UInt32(upper(a)) << 24 | UInt32(upper(b)) << 16 | UInt32(upper(c)) << 8 | UInt32(upper(d))
    }

    private static func verb(_ a: Unicode.Scalar, _ b: Unicode.Scalar, _ c: Unicode.Scalar, _ d: Unicode.Scalar)
        -> UInt32
    {
        verb(UInt8(ascii: a), UInt8(ascii: b), UInt8(ascii: c), UInt8(ascii: d))
    }

    private static func string(_ bytes: UnsafeBufferPointer<UInt8>) -> String {
        String(decoding: bytes, as: UTF8.self)
    }

    private static func domain(_ argument: UnsafeBufferPointer<UInt8>) -> String? {
        guard !argument.isEmpty, !argument.contains(where: isSpace) else { return nil }
        return string(argument)
    }

    /// `FROM:<path> parameters` or `TO:<path> parameters`.
    private static func pathCommand(_ argument: UnsafeBufferPointer<UInt8>, prefix: StaticString)
        -> (String, [SMTPParameter])?
    {
        let prefixLength = prefix.utf8CodeUnitCount
        guard argument.count >= prefixLength else { return nil }
        for index in 0..<prefixLength where upper(argument[index]) != prefix.utf8Start[index] { return nil }
        var start = prefixLength
        while start < argument.count, isSpace(argument[start]) { start += 1 }
        let rest = UnsafeBufferPointer(rebasing: argument[start...])
        guard let (path, remainder) = splitPath(rest), let address = address(path),
            let parameters = parameters(remainder)
        else { return nil }
        return (address, parameters)
    }

    /// `<path> rest` or a bare `path rest`, honouring quotes and escapes inside angle brackets.
    private static func splitPath(_ text: UnsafeBufferPointer<UInt8>) -> (
        UnsafeBufferPointer<UInt8>, UnsafeBufferPointer<UInt8>
    )? {
        guard let first = text.first else { return nil }
        if first != UInt8(ascii: "<") {
            let end = text.firstIndex(where: isSpace) ?? text.count
            return (UnsafeBufferPointer(rebasing: text[..<end]), UnsafeBufferPointer(rebasing: text[end...]))
        }
        var index = 1
        var inQuotes = false
        while index < text.count {
            let byte = text[index]
            if byte == UInt8(ascii: "\\") && inQuotes {
                index += 1
                guard index < text.count else { return nil }
            } else if byte == UInt8(ascii: "\"") {
                inQuotes.toggle()
            } else if byte == UInt8(ascii: ">") && !inQuotes {
                let remainder = UnsafeBufferPointer(rebasing: text[(index + 1)...])
                guard remainder.isEmpty || isSpace(remainder[0]) else { return nil }
                return (UnsafeBufferPointer(rebasing: text[1..<index]), remainder)
            }
            index += 1
        }
        return nil
    }

    /// The mailbox without a source route, if it has the shape `local@domain` (or is empty or postmaster).
    private static func address(_ path: UnsafeBufferPointer<UInt8>) -> String? {
        var mailbox = path
        if mailbox.first == UInt8(ascii: "@") {
            guard let colon = mailbox.firstIndex(of: UInt8(ascii: ":")) else { return nil }
            mailbox = UnsafeBufferPointer(rebasing: mailbox[(colon + 1)...])
        }
        if mailbox.isEmpty { return "" }
        if mailbox.count == 10, mailbox.elementsEqual("POSTMASTER".utf8, by: { upper($0) == $1 }) {
            return string(mailbox)
        }
        guard let at = mailbox.lastIndex(of: UInt8(ascii: "@")), at != 0, at != mailbox.count - 1,
            !mailbox.contains(space) || mailbox[0] == UInt8(ascii: "\"")
        else { return nil }
        return string(mailbox)
    }

    /// `KEYWORD[=value]` words; `nil` if any is malformed.
    private static func parameters(_ text: UnsafeBufferPointer<UInt8>) -> [SMTPParameter]? {
        var parameters: [SMTPParameter] = []
        for word in text.split(whereSeparator: isSpace) {
            let equals = word.firstIndex(of: UInt8(ascii: "="))
            let keyword = word[..<(equals ?? word.endIndex)]
            guard let first = keyword.first, isLetterOrDigit(first),
                keyword.allSatisfy({ isLetterOrDigit($0) || $0 == UInt8(ascii: "-") })
            else { return nil }
            var value: String?
            if let equals {
                let valueBytes = word[(equals + 1)...]
                guard !valueBytes.isEmpty, !valueBytes.contains(UInt8(ascii: "=")) else { return nil }
                value = string(UnsafeBufferPointer(rebasing: valueBytes))
            }
            let upperKeyword = String(unsafeUninitializedCapacity: keyword.count) { buffer in
                for (offset, byte) in keyword.enumerated() { buffer[offset] = upper(byte) }
                return keyword.count
            }
            parameters.append(SMTPParameter(keyword: upperKeyword, value: value))
        }
        return parameters
    }

    private static func isLetterOrDigit(_ byte: UInt8) -> Bool {
        let letter = byte | 0x20
        return (letter >= UInt8(ascii: "a") && letter <= UInt8(ascii: "z"))
            || (byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9"))
    }
}
