/// Parses one POP3 command line (without its CRLF). Keywords are case-insensitive and separated from their
/// arguments by single spaces (RFC 1939 §3); numbers are plain decimal and checked for overflow.
public enum POP3CommandParser {
    /// The longest argument RFC 1939 allows for USER and PASS is 40 octets; clients send longer ones
    /// (tokens as passwords), so Mailpen accepts up to this.
    static let maximumArgumentLength = 255

    public static func parse(_ line: some Collection<UInt8>) throws(POP3CommandError) -> POP3Command {
        guard let text = String(validating: line, as: UTF8.self) else { throw POP3CommandError("invalid UTF-8") }
        let keywordEnd = text.firstIndex(of: " ") ?? text.endIndex
        let keyword = text[..<keywordEnd].uppercased()
        let rest = keywordEnd == text.endIndex ? "" : String(text[text.index(after: keywordEnd)...])
        let arguments = rest.split(separator: " ", omittingEmptySubsequences: true).map(String.init)

        switch keyword {
        case "USER":
            guard arguments.count == 1 else { throw POP3CommandError("USER takes one argument") }
            return .user(try bounded(arguments[0]))
        case "PASS":
            guard !rest.isEmpty else { throw POP3CommandError("PASS takes one argument") }
            return .pass(try bounded(rest))
        case "AUTH":
            guard arguments.count <= 2 else { throw POP3CommandError("AUTH takes a mechanism and a response") }
            return .authenticate(
                mechanism: arguments.first.map { $0.uppercased() }, initialResponse: arguments.dropFirst().first)
        case "CAPA": return try noArguments(.capabilities, arguments)
        case "STLS": return try noArguments(.startTLS, arguments)
        case "STAT": return try noArguments(.status, arguments)
        case "RSET": return try noArguments(.reset, arguments)
        case "NOOP": return try noArguments(.noop, arguments)
        case "QUIT": return try noArguments(.quit, arguments)
        case "APOP": return .apop
        case "LIST": return .list(try optionalNumber(arguments, keyword))
        case "UIDL": return .uniqueIDList(try optionalNumber(arguments, keyword))
        case "RETR": return .retrieve(try oneNumber(arguments, keyword))
        case "DELE": return .delete(try oneNumber(arguments, keyword))
        case "TOP":
            guard arguments.count == 2 else { throw POP3CommandError("TOP takes a message number and a line count") }
            guard let message = number(arguments[0]), message > 0, let lines = number(arguments[1]) else {
                throw POP3CommandError("invalid number")
            }
            return .top(message, lines: lines)
        default:
            throw POP3CommandError("unknown command")
        }
    }

    private static func noArguments(_ command: POP3Command, _ arguments: [String]) throws(POP3CommandError)
        -> POP3Command
    {
        guard arguments.isEmpty else { throw POP3CommandError("no arguments expected") }
        return command
    }

    private static func bounded(_ argument: String) throws(POP3CommandError) -> String {
        guard argument.utf8.count <= maximumArgumentLength else { throw POP3CommandError("argument too long") }
        return argument
    }

    private static func optionalNumber(_ arguments: [String], _ keyword: String) throws(POP3CommandError) -> Int? {
        if arguments.isEmpty { return nil }
        return try oneNumber(arguments, keyword)
    }

    private static func oneNumber(_ arguments: [String], _ keyword: String) throws(POP3CommandError) -> Int {
        guard arguments.count == 1 else { throw POP3CommandError("\(keyword) takes one message number") }
        guard let value = number(arguments[0]), value > 0 else { throw POP3CommandError("invalid message number") }
        return value
    }

    /// A non-negative decimal number; nil for anything else or a value that does not fit in an Int.
    static func number(_ text: String) -> Int? {
        guard !text.isEmpty else { return nil }
        var value = 0
        for byte in text.utf8 {
            guard byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") else { return nil }
            let (times10, overflow1) = value.multipliedReportingOverflow(by: 10)
            let (sum, overflow2) = times10.addingReportingOverflow(Int(byte - UInt8(ascii: "0")))
            guard !overflow1, !overflow2 else { return nil }
            value = sum
        }
        return value
    }
}
