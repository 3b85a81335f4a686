import MailpenMIME
import Testing

@Suite("Message-ID, In-Reply-To, References")
struct MessageIDTests {
    @Test(
        "parses",
        arguments: [
            ("<abc@example.com>", ["abc@example.com"]),
            ("  <abc@example.com>  ", ["abc@example.com"]),
            ("<a@x> <b@y>\t<c@z>", ["a@x", "b@y", "c@z"]),
            ("<a@x>,<b@y>", ["a@x", "b@y"]),
            ("<a@x> (comment <not@an.id>) <b@y>", ["a@x", "b@y"]),
            ("<a @ x>", ["a@x"]),
            ("abc@example.com", ["abc@example.com"]),
            ("a@x b@y", ["a@x", "b@y"]),
            ("", []),
            ("<>", []),
            ("<unterminated@x", ["unterminated@x"]),
        ]
    )
    func parses(input: String, expected: [String]) {
        #expect(MessageIDList.parse(input) == expected)
    }

    @Test("message views")
    func views() {
        let mail = message(
            "Message-ID:", " <mid@x.y>", "In-Reply-To: <parent@x.y>", "References: <root@x.y>", " <parent@x.y>", "", ""
        )
        #expect(mail.messageID == "mid@x.y")
        #expect(mail.inReplyTo == ["parent@x.y"])
        #expect(mail.references == ["root@x.y", "parent@x.y"])
    }
}
