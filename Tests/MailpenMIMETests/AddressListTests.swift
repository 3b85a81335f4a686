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
