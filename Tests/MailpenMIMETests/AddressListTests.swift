import MailpenMIME
import Testing

@Suite("RFC 5322 address lists")
struct AddressListTests {
    struct Case: CustomTestStringConvertible, Sendable {
        let input: String
        let expected: [MIMEAddress]
        var testDescription: String { self.input }
    }

    static func a(_ address: String, _ name: String? = nil, group: String? = nil) -> MIMEAddress {
        MIMEAddress(name: name, address: address, group: group)
    }

    static let cases: [Case] = [
        Case(input: "bob@example.com", expected: [a("bob@example.com")]),
        Case(input: "Bob <bob@example.com>", expected: [a("bob@example.com", "Bob")]),
        Case(input: "Bob Smith <bob@example.com>", expected: [a("bob@example.com", "Bob Smith")]),
        Case(input: "\"Smith, Bob\" <bob@example.com>", expected: [a("bob@example.com", "Smith, Bob")]),
        Case(input: "\"Bob \\\"B\\\" S\" <b@x.y>", expected: [a("b@x.y", "Bob \"B\" S")]),
        Case(input: "a@x.y, b@x.y,c@x.y", expected: [a("a@x.y"), a("b@x.y"), a("c@x.y")]),
        // Groups.
        Case(
            input: "Team: a@x.y, \"B\" <b@x.y>;, c@x.y",
            expected: [a("a@x.y", group: "Team"), a("b@x.y", "B", group: "Team"), a("c@x.y")]
        ),
        Case(input: "undisclosed-recipients:;", expected: []),
        Case(input: "Empty Group:;, z@x.y", expected: [a("z@x.y")]),
        // Comments: ignored, or used as the name when there is none.
        Case(input: "bob@example.com (Bob Smith)", expected: [a("bob@example.com", "Bob Smith")]),
        Case(input: "Bob (Mr.) Smith <bob@x.y>", expected: [a("bob@x.y", "Bob Smith")]),
        Case(
            input: "<bob@x.y> (ignored because no name? no: used)",
            expected: [a("bob@x.y", "ignored because no name? no: used")]),
        // Obsolete forms (RFC 5322 §4.4).
        Case(input: "<@relay1.example,@relay2.example:bob@x.y>", expected: [a("bob@x.y")]),
        Case(
            input: "Joe Q. Public <john.q.public@example.com>",
            expected: [a("john.q.public@example.com", "Joe Q. Public")]),
        Case(input: "a@x.y,, ,b@x.y", expected: [a("a@x.y"), a("b@x.y")]),
        Case(input: "bob @ example . com", expected: [a("bob@example.com")]),
        Case(input: "\"john doe\"@example.com", expected: [a("\"john doe\"@example.com")]),
        Case(input: "bob@[192.0.2.1]", expected: [a("bob@[192.0.2.1]")]),
        // Encoded words in names, also inside quotes (as many clients send).
        Case(input: "=?utf-8?q?J=C3=B6rg?= <j@x.y>", expected: [a("j@x.y", "Jörg")]),
        Case(input: "\"=?utf-8?q?J=C3=B6rg?=\" <j@x.y>", expected: [a("j@x.y", "Jörg")]),
        Case(input: "=?utf-8?q?A?= =?utf-8?q?B?= <ab@x.y>", expected: [a("ab@x.y", "AB")]),
        Case(input: "=?utf-8?q?Smith=2C_Bob?= <b@x.y>", expected: [a("b@x.y", "Smith, Bob")]),
        // RFC 6532 UTF-8.
        Case(input: "Jürgen <jürgen@bücher.example>", expected: [a("jürgen@bücher.example", "Jürgen")]),
        Case(input: "δοκιμή@παράδειγμα.δοκιμή", expected: [a("δοκιμή@παράδειγμα.δοκιμή")]),
        // Degenerate input.
        Case(input: "", expected: []),
        Case(input: "Bob <>", expected: []),
        Case(input: "<>", expected: []),
        Case(input: "Just A Name", expected: []),
        Case(input: "localonly", expected: [a("localonly")]),
        Case(input: "Bob <bob@x.y", expected: [a("bob@x.y", "Bob")]),
        Case(input: "\"unterminated <a@b.c>", expected: []),
        Case(input: ",;:<>@", expected: []),
    ]

    @Test("parses", arguments: cases)
    func parses(testCase: Case) {
        #expect(AddressList.parse(testCase.input) == testCase.expected)
    }

    /// The commonest forms are read without the tokenizer, and exactly as the general parser reads them.
    @Test("a plain mailbox is read directly, as the general parser reads it")
    func plainMailboxes() {
        let plain = [
            "bob@example.com", " <bob@example.com> ", "Bob Smith <bob@example.com>", "Bob\t  Smith\t<b.s+tag@x.y>",
            "Joe Q. Public <john.q.public@example.com>", "a=b <x@y>", "= ? <x@y>", "x@y.", "<.a@b>",
        ]
        for input in plain {
            let bytes = Array(input.utf8)
            let direct = AddressList.simpleMailbox(bytes)
            #expect(direct != nil, "\(input)")
            #expect(direct.map { [$0] } == AddressList.parseGeneral(bytes), "\(input)")
        }
        let others = [
            "", "  ", "bob", "@x.y", "bob@", "a@b@c", "<a@b", "a@b>", "Bob <>", "<a b@c>", "a, b@c", "a@b, c@d",
            "=?utf-8?q?J=C3=B6rg?= <j@x.y>", "\"Bob\" <b@x.y>", "Bob (x) <b@x.y>", "Team: a@x.y;", "Jürgen <j@x.y>",
            "bob@[192.0.2.1]", "<@relay.example:bob@x.y>", "a\u{7F}b@c", "Bob <b@x.y> (comment)",
        ]
        for input in others {
            #expect(AddressList.simpleMailbox(Array(input.utf8)) == nil, "\(input)")
        }
        // Random mailboxes of the three forms, half of them with one byte changed to one the grammar treats
        // apart: whenever one is read directly, the general parser reads the same mailbox.
        var generator = SystemRandomNumberGenerator()
        let words = ["Bob", "J.", "a=b", "=", "?", "x-y"]
        let parts = ["a", "b.c", "x-y", "1", "."]
        let risky = Array(" \t=?\"(),:;<>@[]\\é\u{7F}".utf8)
        var direct = 0
        for _ in 0..<20_000 {
            var text = ""
            let angled = Bool.random(using: &generator)
            if angled {
                for _ in 0..<Int.random(in: 0...3, using: &generator) {
                    text +=
                        (words.randomElement(using: &generator) ?? "")
                        + (Bool.random(using: &generator) ? " " : "\t ")
                }
                text += "<"
            }
            text +=
                (parts.randomElement(using: &generator) ?? "a") + "@" + (parts.randomElement(using: &generator) ?? "a")
            if angled { text += ">" }
            var bytes = Array(text.utf8)
            if Bool.random(using: &generator), let byte = risky.randomElement(using: &generator) {
                bytes[Int.random(in: 0..<bytes.count, using: &generator)] = byte
            }
            guard let mailbox = AddressList.simpleMailbox(bytes) else { continue }
            direct += 1
            #expect([mailbox] == AddressList.parseGeneral(bytes), "\(bytes)")
        }
        #expect(direct > 5_000, "the random values exercise the direct reading")
    }

    @Test("message views collect all address headers in order")
    func allAddresses() {
        let mail = message(
            "To: t@x.y", "From: f@x.y", "Cc: c@x.y", "Bcc: b@x.y", "Reply-To: r@x.y", "Sender: s@x.y",
            "To: t2@x.y", "", "body"
        )
        #expect(mail.allAddresses.map(\.address) == ["f@x.y", "s@x.y", "r@x.y", "t@x.y", "t2@x.y", "c@x.y", "b@x.y"])
        #expect(mail.to.map(\.address) == ["t@x.y", "t2@x.y"])
        #expect(mail.replyTo.map(\.address) == ["r@x.y"])
    }

    @Test("stays linear on long lists")
    func linear() {
        let input = Array(repeating: "\"N, X\" <n@x.y>", count: 20_000).joined(separator: ", ")
        let clock = ContinuousClock()
        var count = 0
        let elapsed = clock.measure {
            count = AddressList.parse(input).count
        }
        #expect(count == 20_000)
        #expect(elapsed < .seconds(2))
    }
}
