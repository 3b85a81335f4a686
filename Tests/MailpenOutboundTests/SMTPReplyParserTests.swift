import Testing

@testable import MailpenOutbound

@Suite("SMTP reply parser")
struct SMTPReplyParserTests {
    private func replies(_ chunks: [String]) throws -> [SMTPServerReply] {
        var parser = SMTPReplyParser()
        var result: [SMTPServerReply] = []
        for chunk in chunks {
            parser.append(Array(chunk.utf8))
            while let reply = try parser.nextReply() { result.append(reply) }
        }
        return result
    }

    @Test func singleLineWithEnhancedStatus() throws {
        let parsed = try replies(["250 2.0.0 Ok: queued as 42\r\n"])
        #expect(parsed.count == 1)
        #expect(parsed[0].code == 250)
        #expect(parsed[0].enhancedStatus == "2.0.0")
        #expect(parsed[0].lines == ["2.0.0 Ok: queued as 42"])
        #expect(parsed[0].text == "250 2.0.0 Ok: queued as 42")
    }

    @Test func multiLineReplySplitAcrossReads() throws {
        let parsed = try replies(["250-mx.example Hello\r\n250-PIPE", "LINING\r\n250-SIZE 1000\r", "\n250 HELP\r\n"])
        #expect(parsed.count == 1)
        #expect(parsed[0].lines == ["mx.example Hello", "PIPELINING", "SIZE 1000", "HELP"])
        #expect(parsed[0].enhancedStatus == nil)
    }

    @Test func severalRepliesInOneRead() throws {
        let parsed = try replies(["250 2.1.0 Ok\r\n250 2.1.5 Ok\r\n550 5.1.1 No such user\r\n354 Go ahead\r\n"])
        #expect(parsed.map(\.code) == [250, 250, 550, 354])
        #expect(parsed.map(\.enhancedStatus) == ["2.1.0", "2.1.5", "5.1.1", nil])
    }

    @Test func bareLFAndCodeWithoutText() throws {
        let parsed = try replies(["220\n", "250 \n"])
        #expect(parsed.map(\.code) == [220, 250])
        #expect(parsed[0].text == "220")
    }

    @Test func enhancedStatusMustMatchTheReplyClass() throws {
        let parsed = try replies(["250 5.0.0 odd\r\n", "550 5.7.1.2 too many parts\r\n", "451 4.3.0 try later\r\n"])
        #expect(parsed.map(\.enhancedStatus) == [nil, nil, "4.3.0"])
    }

    @Test func incompleteReplyWaitsForMore() throws {
        var parser = SMTPReplyParser()
        parser.append(Array("250-first\r\n250 sec".utf8))
        #expect(try parser.nextReply() == nil)
        #expect(parser.hasBufferedInput)
        parser.append(Array("ond\r\n".utf8))
        #expect(try parser.nextReply()?.lines == ["first", "second"])
        #expect(!parser.hasBufferedInput)
    }

    @Test(
        "malformed lines are errors",
        arguments: ["hello\r\n", "25\r\n", "2500 x\r\n", "250x\r\n", "650 out of range\r\n", "1xx\r\n", "\r\n"])
    func malformed(_ input: String) {
        #expect(throws: SMTPReplyParser.Failure.self) { try replies([input]) }
    }

    @Test func continuationWithAnotherCodeIsAnError() {
        #expect(throws: SMTPReplyParser.Failure.inconsistentCode(expected: 250, found: 251)) {
            try replies(["250-a\r\n251 b\r\n"])
        }
    }

    @Test func overlongLineIsAnErrorEvenWithoutNewline() throws {
        let long = "250 " + String(repeating: "x", count: SMTPReplyParser.maximumLineLength + 10)
        #expect(throws: SMTPReplyParser.Failure.lineTooLong) { try replies([long]) }
        #expect(throws: SMTPReplyParser.Failure.lineTooLong) { try replies([long + "\r\n"]) }
        let fits = "250 " + String(repeating: "x", count: SMTPReplyParser.maximumLineLength - 4)
        #expect(try replies([fits + "\r\n"]).count == 1)
    }

    @Test func endlessMultiLineReplyIsAnError() {
        let lines = String(repeating: "250-more\r\n", count: SMTPReplyParser.maximumLines + 1)
        #expect(throws: SMTPReplyParser.Failure.tooManyLines) { try replies([lines]) }
    }

    @Test func controlCharactersAreNotPassedOn() throws {
        let parsed = try replies(["550 5.0.0 \u{1B}[31mred\u{7F}\r\n"])
        #expect(parsed[0].text == "550 5.0.0 ?[31mred?")
    }
}

@Suite("EHLO capabilities")
struct SMTPServerCapabilitiesTests {
    @Test func parsesTheExtensionsThatMatter() {
        let reply = SMTPServerReply(
            code: 250,
            lines: [
                "mx.example Hello client", "PIPELINING", "SIZE 35882577", "8BITMIME", "SMTPUTF8", "STARTTLS",
                "AUTH PLAIN login CRAM-MD5", "AUTH=XOAUTH2", "CHUNKING", "ENHANCEDSTATUSCODES", "DSN",
            ])
        let capabilities = SMTPServerCapabilities(ehloReply: reply)
        #expect(capabilities.supportsPipelining)
        #expect(capabilities.supportsSize)
        #expect(capabilities.maximumMessageSize == 35_882_577)
        #expect(capabilities.supports8BitMIME)
        #expect(capabilities.supportsSMTPUTF8)
        #expect(capabilities.supportsStartTLS)
        #expect(capabilities.supportsChunking)
        #expect(capabilities.supportsEnhancedStatusCodes)
        #expect(capabilities.supportsDSN)
        #expect(capabilities.authenticationMechanisms == ["PLAIN", "LOGIN", "CRAM-MD5", "XOAUTH2"])
        #expect(!capabilities.offers("mx.example"), "the first line is the greeting, not an extension")
    }

    @Test func sizeWithoutALimit() {
        for line in ["SIZE", "SIZE 0", "SIZE nonsense"] {
            let capabilities = SMTPServerCapabilities(ehloReply: SMTPServerReply(code: 250, lines: ["mx", line]))
            #expect(capabilities.supportsSize)
            #expect(capabilities.maximumMessageSize == nil)
        }
        #expect(!SMTPServerCapabilities.none.supportsPipelining)
        #expect(SMTPServerCapabilities.none.authenticationMechanisms.isEmpty)
    }
}
