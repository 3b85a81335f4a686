import Testing

@testable import MailpenSMTPCore

@Suite("SMTP command parser")
struct SMTPCommandParserTests {
    static let valid: [(String, SMTPCommand)] = [
        ("EHLO client.example", .extendedHello(domain: "client.example")),
        ("ehlo client.example", .extendedHello(domain: "client.example")),
        ("HELO [127.0.0.1]", .hello(domain: "[127.0.0.1]")),
        ("MAIL FROM:<a@b.example>", .mail(reversePath: "a@b.example", parameters: [])),
        ("mail from:<a@b.example>", .mail(reversePath: "a@b.example", parameters: [])),
        ("MAIL FROM: <a@b.example>", .mail(reversePath: "a@b.example", parameters: [])),
        ("MAIL FROM:a@b.example", .mail(reversePath: "a@b.example", parameters: [])),
        ("MAIL FROM:<>", .mail(reversePath: "", parameters: [])),
        ("MAIL FROM:<@relay.example:a@b.example>", .mail(reversePath: "a@b.example", parameters: [])),
        ("MAIL FROM:<\"john doe\"@b.example>", .mail(reversePath: "\"john doe\"@b.example", parameters: [])),
        ("MAIL FROM:<\"a>b\"@b.example>", .mail(reversePath: "\"a>b\"@b.example", parameters: [])),
        (
            "MAIL FROM:<a@b.example> SIZE=1000 BODY=8BITMIME",
            .mail(
                reversePath: "a@b.example",
                parameters: [.init(keyword: "SIZE", value: "1000"), .init(keyword: "BODY", value: "8BITMIME")])
        ),
        (
            "MAIL FROM:<ü@bü.example> SMTPUTF8",
            .mail(reversePath: "ü@bü.example", parameters: [.init(keyword: "SMTPUTF8")])
        ),
        (
            "MAIL FROM:<a@b.example> ret=hdrs",
            .mail(reversePath: "a@b.example", parameters: [.init(keyword: "RET", value: "hdrs")])
        ),
        ("RCPT TO:<c@d.example>", .recipient(forwardPath: "c@d.example", parameters: [])),
        ("RCPT TO:<Postmaster>", .recipient(forwardPath: "Postmaster", parameters: [])),
        (
            "RCPT TO:<c@d.example> NOTIFY=SUCCESS,FAILURE ORCPT=rfc822;c@d.example",
            .recipient(
                forwardPath: "c@d.example",
                parameters: [
                    .init(keyword: "NOTIFY", value: "SUCCESS,FAILURE"),
                    .init(keyword: "ORCPT", value: "rfc822;c@d.example"),
                ])
        ),
        ("DATA", .data),
        ("data", .data),
        ("BDAT 100", .binaryData(size: 100, isLast: false)),
        ("BDAT 0 LAST", .binaryData(size: 0, isLast: true)),
        ("bdat 12 last", .binaryData(size: 12, isLast: true)),
        ("RSET", .reset),
        ("NOOP", .noop),
        ("NOOP anything at all", .noop),
        ("QUIT", .quit),
        ("HELP", .help(topic: nil)),
        ("HELP MAIL", .help(topic: "MAIL")),
        ("VRFY bob", .verify("bob")),
        ("EXPN staff", .expand("staff")),
        ("STARTTLS", .startTLS),
        ("AUTH PLAIN", .authenticate(mechanism: "PLAIN", initialResponse: nil)),
        ("AUTH plain AGJvYgBzZWNyZXQ=", .authenticate(mechanism: "PLAIN", initialResponse: "AGJvYgBzZWNyZXQ=")),
        ("AUTH LOGIN", .authenticate(mechanism: "LOGIN", initialResponse: nil)),
        ("AUTH CRAM-MD5", .authenticate(mechanism: "CRAM-MD5", initialResponse: nil)),
        ("  NOOP  ", .noop),
    ]

    @Test("parses valid commands", arguments: valid)
    func parsesValidCommand(line: String, expected: SMTPCommand) throws {
        #expect(try SMTPCommandParser.parse(Array(line.utf8)) == expected)
    }

    static let invalid: [(String, Int, String)] = [
        ("", 500, "5.5.2"),
        ("FOO", 500, "5.5.2"),
        ("GET / HTTP/1.1", 500, "5.5.2"),
        ("EHLO", 501, "5.5.4"),
        ("HELO", 501, "5.5.4"),
        ("EHLO two words", 501, "5.5.4"),
        ("MAIL", 501, "5.5.4"),
        ("MAIL TO:<a@b>", 501, "5.5.4"),
        ("MAIL FROM:<a@b", 501, "5.5.4"),
        ("MAIL FROM:<a@b>junk", 501, "5.5.4"),
        ("MAIL FROM:<nobody>", 501, "5.1.3"),
        ("MAIL FROM:<@b.example>", 501, "5.5.4"),
        ("MAIL FROM:<a@>", 501, "5.1.3"),
        ("MAIL FROM:<a@b.example> =x", 501, "5.5.4"),
        ("MAIL FROM:<a@b.example> SIZE=", 501, "5.5.4"),
        ("MAIL FROM:<a@b.example> SIZE=1=2", 501, "5.5.4"),
        ("RCPT TO:<>", 501, "5.5.4"),
        ("RCPT FROM:<a@b.example>", 501, "5.5.4"),
        ("DATA now", 501, "5.5.4"),
        ("BDAT", 501, "5.5.4"),
        ("BDAT x", 501, "5.5.4"),
        ("BDAT -1", 501, "5.5.4"),
        ("BDAT 10 FIRST", 501, "5.5.4"),
        ("BDAT 10 LAST more", 501, "5.5.4"),
        ("BDAT 99999999999999999999", 501, "5.5.4"),
        ("RSET x", 501, "5.5.4"),
        ("QUIT x", 501, "5.5.4"),
        ("VRFY", 501, "5.5.4"),
        ("EXPN", 501, "5.5.4"),
        ("STARTTLS x", 501, "5.5.4"),
        ("AUTH", 501, "5.5.4"),
        ("AUTH PLAIN a b", 501, "5.5.4"),
        ("NOOP\u{0}", 500, "5.5.2"),
        ("MAIL FROM:<a@b>\u{7}", 500, "5.5.2"),
    ]

    @Test("rejects malformed commands with a coded reply", arguments: invalid)
    func rejectsMalformedCommand(line: String, code: Int, enhanced: String) {
        #expect(throws: SMTPCommandError.self) { try SMTPCommandParser.parse(Array(line.utf8)) }
        do {
            _ = try SMTPCommandParser.parse(Array(line.utf8))
        } catch {
            #expect(error.reply.code == code)
            #expect(error.reply.enhancedCode == enhanced)
        }
    }

    /// A malformed BDAT whose size could be read says so: its chunk follows, and must not be read as commands.
    @Test(
        "a malformed BDAT names the chunk that follows when its size was read",
        arguments: [("BDAT 10 FIRST", 10), ("BDAT 10 LAST more", 10), ("BDAT 0 x", 0), ("BDAT x", nil), ("BDAT", nil)]
            as [(String, Int?)])
    func malformedBinaryDataNamesItsChunk(line: String, chunkSize: Int?) {
        do {
            _ = try SMTPCommandParser.parse(Array(line.utf8))
            Issue.record("\(line) was accepted")
        } catch {
            #expect(error.reply.code == 501)
            #expect(error.chunkSize == chunkSize)
        }
    }

    @Test func rejectsInvalidUTF8() {
        do {
            _ = try SMTPCommandParser.parse([0x4D, 0x41, 0x49, 0x4C, 0x20, 0xFF, 0xFE])
            Issue.record("expected an error")
        } catch {
            #expect(error.reply.code == 500)
        }
    }

    /// Lines assembled from the parts of real and broken commands, so that both paths of the parser meet
    /// every branch: a verb, a prefix, a path of address pieces, parameters, in any case, spacing and order.
    static func assembledLines(count: Int) -> [[UInt8]] {
        let verbs = ["MAIL", "mail", "Rcpt", "RCPT", "DATA", "rset", "QUIT", "NOOP", "EHLO", "helo", "AUTH", "MAI", ""]
        let spaces = ["", " ", "  ", "\t", " \t"]
        let prefixes = ["FROM:", "from:", "TO:", "to:", "FROM", "TO :", ""]
        let addressPieces = [
            "a", "@", "b.example", "\"", "\\", " ", ":", "@r.example:", "postmaster", "PostMaster", ">", "<", "é",
            "\u{7F}", "\u{1}", ".",
        ]
        let parameters = ["SIZE=10", "body=8BITMIME", "x-y", "=1", "A=", "A=b=c", "-x", "smtputf8", "K=v>", "é=1"]
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        func next(_ bound: Int) -> Int {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Int((state >> 33) % UInt64(bound))
        }
        func pick(_ options: [String]) -> String { options[next(options.count)] }
        return (0..<count).map { _ in
            var address = ""
            for _ in 0..<next(6) { address += pick(addressPieces) }
            var line = pick(spaces) + pick(verbs) + pick(spaces) + pick(prefixes) + pick(spaces)
            switch next(4) {
            case 0: line += address
            case 1: line += "<" + address
            default: line += "<" + address + ">"
            }
            for _ in 0..<next(3) { line += pick(spaces) + pick(parameters) }
            return Array((line + pick(spaces)).utf8)
        }
    }

    @Test func byteLevelPathAgreesWithTheTextPath() {
        var taken = 0
        for line in Self.assembledLines(count: 50_000) {
            let fast = Result { () throws(SMTPCommandError) in try SMTPCommandParser.parse(line) }
            let text = Result { () throws(SMTPCommandError) in try SMTPCommandParser.parseAsText(line) }
            #expect(fast == text, "\(String(decoding: line, as: UTF8.self))")
            if line.withUnsafeBufferPointer({ SMTPASCIICommandParser.parse($0) }) != nil { taken += 1 }
        }
        // Most assembled lines are malformed; enough must take the byte-level path to compare it.
        #expect(taken > 1000)
    }
}
