import Testing

@testable import MailpenChecks

@Suite("spamd protocol")
struct SpamdProtocolTests {
    static let reportReply = """
        SPAMD/1.1 0 EX_OK\r
        Content-length: 1034\r
        Spam: True ; 1000.0 / 5.0\r
        \r
        Spam detection software, running on the system "ci",
        has identified this incoming email as possible spam.  The original
        message has been attached to this so you can view it or label
        similar future email.  If you have any questions, see
        @@CONTACT_ADDRESS@@ for details.

        Content preview:  This is the GTUBE, the Generic Test for Unsolicited Bulk
           Email [...]

        Content analysis details:   (1000.0 points, 5.0 required)

         pts rule name              description
        ---- ---------------------- --------------------------------------------------
        1000 GTUBE                  BODY: Generic Test for Unsolicited Bulk Email
        -0.0 NO_RELAYS              Informational: message was not relayed via SMTP
         0.0 T_SCC_BODY_TEXT_LINE   No description available.
         2.5 A_VERY_LONG_RULE_NAME_THAT_OVERFLOWS Description that wraps onto
                                    a second line
        -0.0 NO_RECEIVED            Informational: message has no Received headers

        """

    @Test func requestHasCommandLengthUserAndMessage() {
        let request = SpamdProtocol.request(.report, message: Array("Subject: x\r\n\r\nhi".utf8), user: "mailpen")
        #expect(
            String(decoding: request, as: UTF8.self)
                == "REPORT SPAMC/1.5\r\nContent-length: 16\r\nUser: mailpen\r\n\r\nSubject: x\r\n\r\nhi"
        )
        let symbols = SpamdProtocol.request(.symbols, message: [], user: nil)
        #expect(String(decoding: symbols, as: UTF8.self) == "SYMBOLS SPAMC/1.5\r\nContent-length: 0\r\n\r\n")
    }

    @Test func reportReplyGivesScoresAndDescriptions() throws {
        let report = try SpamdProtocol.parseReply(Array(Self.reportReply.utf8), command: .report)
        #expect(report.isSpam && report.score == 1000 && report.threshold == 5 && report.engine == "spamassassin")
        #expect(
            report.rules.first
                == SpamRule(name: "GTUBE", score: 1000, description: "BODY: Generic Test for Unsolicited Bulk Email")
        )
        #expect(
            report.rules.first { $0.name == "A_VERY_LONG_RULE_NAME_THAT_OVERFLOWS" }?.description
                == "Description that wraps onto a second line"
        )
        #expect(report.rules.count == 5)
        #expect(report.rules.first { $0.name == "NO_RELAYS" }?.score == -0.0)
    }

    @Test func symbolsReplyGivesNames() throws {
        let reply =
            "SPAMD/1.1 0 EX_OK\r\nContent-length: 34\r\nSpam: False ; 1.2 / 5.0\r\n\r\nMISSING_DATE,MISSING_MID,NO_RELAYS"
        let report = try SpamdProtocol.parseReply(Array(reply.utf8), command: .symbols)
        #expect(!report.isSpam && report.score == 1.2)
        #expect(Set(report.rules.map(\.name)) == ["MISSING_DATE", "MISSING_MID", "NO_RELAYS"])
    }

    @Test(arguments: [
        "", "HTTP/1.1 200 OK\r\n\r\n", "SPAMD/1.0 76 Bad header line: x\r\n\r\n", "SPAMD/1.1 0 EX_OK\r\n\r\n",
        "SPAMD/1.1 0 EX_OK\r\nSpam: maybe\r\n\r\n",
    ])
    func badRepliesThrow(_ reply: String) {
        #expect(throws: SpamdProtocol.ReplyError.self) {
            try SpamdProtocol.parseReply(Array(reply.utf8), command: .report)
        }
    }

    @Test func addresses() {
        #expect(SpamdConfiguration(address: "127.0.0.1:7830")?.port == 7830)
        #expect(SpamdConfiguration(address: "spamd")?.port == 783)
        #expect(SpamdConfiguration(address: "[::1]:7830")?.host == "::1")
        #expect(SpamdConfiguration(address: "[::1]:7830")?.address == "[::1]:7830")
        #expect(SpamdConfiguration(address: "host:notaport") == nil)
        #expect(SpamdConfiguration(address: "host:70000") == nil)
        #expect(SpamdConfiguration(address: "") == nil)
    }
}
