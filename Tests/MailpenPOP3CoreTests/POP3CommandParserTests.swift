import Testing

@testable import MailpenPOP3Core

@Suite("POP3 command parser")
struct POP3CommandParserTests {
    @Test(arguments: [
        ("USER bob", POP3Command.user("bob")),
        ("user bob", .user("bob")),
        ("PASS a b ", .pass("a b ")),
        ("AUTH", .authenticate(mechanism: nil, initialResponse: nil)),
        ("auth plain", .authenticate(mechanism: "PLAIN", initialResponse: nil)),
        ("AUTH PLAIN AGJvYgBzZWNyZXQ=", .authenticate(mechanism: "PLAIN", initialResponse: "AGJvYgBzZWNyZXQ=")),
        ("CAPA", .capabilities),
        ("STLS", .startTLS),
        ("STAT", .status),
        ("LIST", .list(nil)),
        ("LIST 007", .list(7)),
        ("UIDL 3", .uniqueIDList(3)),
        ("RETR 1", .retrieve(1)),
        ("TOP 1 0", .top(1, lines: 0)),
        ("DELE 2", .delete(2)),
        ("RSET", .reset),
        ("NOOP", .noop),
        ("QUIT", .quit),
    ])
    func parsesValidCommands(line: String, expected: POP3Command) throws {
        #expect(try POP3CommandParser.parse(Array(line.utf8)) == expected)
    }

    @Test(arguments: [
        "", "FROB", "USER", "USER a b", "PASS", "STAT 1", "QUIT now", "LIST x", "LIST 0", "LIST 1 2", "RETR",
        "RETR -1", "TOP 1", "TOP 1 -1", "TOP 0 1", "DELE 99999999999999999999999", "AUTH PLAIN a b",
        "USER " + String(repeating: "x", count: 256),
    ])
    func refusesInvalidCommands(line: String) {
        #expect(throws: POP3CommandError.self) { try POP3CommandParser.parse(Array(line.utf8)) }
    }

    @Test func refusesInvalidUTF8() {
        #expect(throws: POP3CommandError.self) { try POP3CommandParser.parse([0x55, 0x53, 0x45, 0x52, 0x20, 0xFF]) }
    }
}
