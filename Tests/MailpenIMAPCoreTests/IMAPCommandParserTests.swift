import Testing

@testable import MailpenIMAPCore

@Suite("IMAP command parser")
struct IMAPCommandParserTests {
    static func parse(_ text: String) throws(IMAPCommandParser.Failure) -> IMAPCommand.Kind {
        try IMAPCommandParser.parse(Array(text.utf8)).kind
    }

    @Test(arguments: [
        ("a CAPABILITY", IMAPCommand.Kind.capability),
        ("a noop", .noop),
        ("a LOGIN bob secret", .login(username: "bob", password: "secret")),
        ("a LOGIN \"bob\" \"se \\\"cr\\\\et\"", .login(username: "bob", password: "se \"cr\\et")),
        ("a LOGIN {3}\r\nbob {6+}\r\nsecret", .login(username: "bob", password: "secret")),
        ("a AUTHENTICATE PLAIN", .authenticate(mechanism: "PLAIN", initialResponse: nil)),
        (
            "a AUTHENTICATE plain AGJvYgBzZWNyZXQ=",
            .authenticate(mechanism: "PLAIN", initialResponse: "AGJvYgBzZWNyZXQ=")
        ),
        ("a ENABLE CONDSTORE utf8=accept", .enable(["CONDSTORE", "UTF8=ACCEPT"])),
        ("a ID NIL", .id(nil)),
        (
            "a ID (\"name\" \"Thunderbird\" \"version\" NIL)",
            .id([IMAPIDField(name: "name", value: "Thunderbird"), IMAPIDField(name: "version", value: nil)])
        ),
        ("a SELECT inbox", .select(mailbox: "INBOX")),
        ("a EXAMINE \"INBOX\"", .examine(mailbox: "INBOX")),
        ("a LIST \"\" *", .list(reference: "", pattern: "*")),
        ("a LSUB \"\" \"%\"", .lsub(reference: "", pattern: "%")),
        (
            "a STATUS INBOX (MESSAGES UIDNEXT unseen)",
            .status(mailbox: "INBOX", attributes: [.messages, .uidNext, .unseen])
        ),
        ("a APPEND INBOX (\\Seen) \"1-Jan-2024 00:00:00 +0000\" \"x\"", .append(mailbox: "INBOX")),
        (
            "a UID EXPUNGE 1:3,7",
            .uidExpunge(IMAPSequenceSet([.init(.number(1), .number(3)), .init(.number(7), .number(7))]))
        ),
        (
            "a STORE 1 +FLAGS.SILENT (\\Deleted \\seen)",
            .store(
                IMAPSequenceSet([.init(.number(1), .number(1))]),
                IMAPStoreFlags(operation: .add, silent: true, flags: [.deleted, .seen]), byUID: false)
        ),
        (
            "a UID STORE 2:* -FLAGS \\Flagged",
            .store(
                IMAPSequenceSet([.init(.number(2), .last)]),
                IMAPStoreFlags(operation: .remove, silent: false, flags: [.flagged]), byUID: true)
        ),
        (
            "a FETCH 1:* FAST",
            .fetch(IMAPSequenceSet([.init(.number(1), .last)]), [.flags, .internalDate, .rfc822Size], byUID: false)
        ),
        (
            "a FETCH * ALL",
            .fetch(
                IMAPSequenceSet([.init(.last, .last)]), [.flags, .internalDate, .rfc822Size, .envelope], byUID: false)
        ),
        (
            "a FETCH 1 FULL",
            .fetch(
                IMAPSequenceSet([.init(.number(1), .number(1))]),
                [.flags, .internalDate, .rfc822Size, .envelope, .bodyStructure(extensible: false)], byUID: false)
        ),
        (
            "a UID FETCH 5 (UID RFC822.SIZE FLAGS BODY.PEEK[HEADER.FIELDS (From To Subject)])",
            .fetch(
                IMAPSequenceSet([.init(.number(5), .number(5))]),
                [
                    .uid, .rfc822Size, .flags,
                    .section(
                        IMAPSection(text: .headerFields(["FROM", "TO", "SUBJECT"], not: false)), partial: nil,
                        peek: true),
                ], byUID: true)
        ),
        (
            "a FETCH 1 (BODY[1.2.MIME] BODY[2.HEADER.FIELDS.NOT (X-A)]<0.100> BODY[TEXT] BODY[] BODYSTRUCTURE BODY)",
            .fetch(
                IMAPSequenceSet([.init(.number(1), .number(1))]),
                [
                    .section(IMAPSection(part: [1, 2], text: .mime), partial: nil, peek: false),
                    .section(
                        IMAPSection(part: [2], text: .headerFields(["X-A"], not: true)),
                        partial: IMAPPartialRange(origin: 0, length: 100), peek: false),
                    .section(IMAPSection(text: .text), partial: nil, peek: false),
                    .section(IMAPSection(), partial: nil, peek: false), .bodyStructure(extensible: true),
                    .bodyStructure(extensible: false),
                ], byUID: false)
        ),
        ("a SEARCH UNSEEN", .search(.flag(.seen, set: false), charset: nil, byUID: false)),
        (
            "a UID SEARCH CHARSET utf-8 FROM \"alice\" SINCE 1-Feb-2024 NOT DELETED",
            .search(
                .and([
                    .header("FROM", "alice"), .received(.since, IMAPDate(year: 2024, month: 2, day: 1)),
                    .not(.flag(.deleted, set: true)),
                ]), charset: "UTF-8", byUID: true)
        ),
        (
            "a SEARCH OR (SUBJECT a LARGER 10) UID 1:*",
            .search(
                .or(.and([.header("SUBJECT", "a"), .larger(10)]), .uids(IMAPSequenceSet([.init(.number(1), .last)]))),
                charset: nil, byUID: false)
        ),
        (
            "a SEARCH 2,4:* BODY {5}\r\nhello",
            .search(
                .and([
                    .sequenceNumbers(IMAPSequenceSet([.init(.number(2), .number(2)), .init(.number(4), .last)])),
                    .body("hello"),
                ]), charset: nil, byUID: false)
        ),
        (
            "a SEARCH HEADER X-Mailer \"\" SENTBEFORE \"5-Mar-2023\" ON 5-mar-2023",
            .search(
                .and([
                    .header("X-MAILER", ""), .sent(.before, IMAPDate(year: 2023, month: 3, day: 5)),
                    .received(.on, IMAPDate(year: 2023, month: 3, day: 5)),
                ]), charset: nil, byUID: false)
        ),
        ("a IDLE", .idle),
        ("a UNSELECT", .unselect),
        ("a COPY 1 Trash", .copy(IMAPSequenceSet([.init(.number(1), .number(1))]), mailbox: "Trash", byUID: false)),
    ])
    func parsesValidCommands(text: String, expected: IMAPCommand.Kind) throws {
        #expect(try Self.parse(text) == expected)
    }

    @Test(
        arguments: [
            ("", nil), ("+ NOOP", nil), ("a", nil), ("a FROB", "a"), ("a NOOP extra", "a"), ("a LOGIN bob", "a"),
            ("a FETCH 0 FLAGS", "a"), ("a FETCH 1 (FLAGS", "a"), ("a FETCH 1 BODY[1.0]", "a"),
            ("a FETCH 1 BODY[MIME]", "a"),
            ("a FETCH 1 BODY.PEEK", "a"), ("a FETCH 1 BODY[]<1.0>", "a"), ("a FETCH 4294967296 FLAGS", "a"),
            ("a SEARCH", "a"), ("a SEARCH SINCE 31-Foo-2024", "a"), ("a SEARCH SINCE 32-Jan-2024", "a"),
            ("a SEARCH (UNSEEN", "a"), ("a SEARCH OR UNSEEN", "a"), ("a STORE 1 FLAGS", "a"),
            ("a LOGIN \"unterminated", "a"), ("a LOGIN {10}\r\nshort", "a"), ("a LOGIN \"bad\\x\" y", "a"),
            ("a STATUS INBOX (BOGUS)", "a"), ("a UID FROB 1", "a"), ("a LOGIN {3}\r\na\0b c", "a"),
        ] as [(String, String?)])
    func refusesInvalidCommandsWithAReason(text: String, tag: String?) {
        #expect {
            _ = try Self.parse(text)
        } throws: { error in
            guard let failure = error as? IMAPCommandParser.Failure else { return false }
            return failure.tag == tag && !failure.reason.isEmpty
        }
    }

    @Test func deeplyNestedSearchKeysAreRefusedNotRecursedInto() {
        let text = "a SEARCH " + String(repeating: "(", count: 10_000) + "ALL" + String(repeating: ")", count: 10_000)
        #expect(throws: IMAPCommandParser.Failure.self) { _ = try Self.parse(text) }
        let shallow = "a SEARCH " + String(repeating: "NOT ", count: 40) + "ALL"
        #expect(throws: Never.self) { _ = try Self.parse(shallow) }
    }

    @Test func literalAnnouncementsAreFoundOnlyAtTheEndOfALine() {
        #expect(IMAPSessionInput.literalAnnouncement(at: Array("a LOGIN {12}".utf8))! == (12, true))
        #expect(IMAPSessionInput.literalAnnouncement(at: Array("a LOGIN {0+}".utf8))! == (0, false))
        #expect(IMAPSessionInput.literalAnnouncement(at: Array("a LOGIN {}".utf8)) == nil)
        #expect(IMAPSessionInput.literalAnnouncement(at: Array("a LOGIN {99999999999}".utf8)) == nil)
        #expect(IMAPSessionInput.literalAnnouncement(at: Array("a LOGIN {1x}".utf8)) == nil)
        #expect(IMAPSessionInput.literalAnnouncement(at: Array("}".utf8)) == nil)
    }
}
