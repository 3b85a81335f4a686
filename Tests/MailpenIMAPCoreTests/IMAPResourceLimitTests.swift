import Testing

@testable import MailpenIMAPCore

/// What one short command may make the session hold: a FETCH's answer is built whole before it is sent, so
/// what it names must not multiply a message in memory.
@Suite("IMAP resource limits")
struct IMAPResourceLimitTests {
    @Test func anItemNamedTwiceIsAnsweredOnce() {
        var driver = IMAPDriver()
        driver.select()
        let response = driver.send("c FETCH 2 (UID BODY.PEEK[TEXT]<0.6> UID BODY.PEEK[TEXT]<0.6>)\r\n")
        #expect(response == "* 2 FETCH (UID 20 BODY[TEXT]<0> {6}\r\nPlease)\r\nc OK FETCH completed\r\n")
    }

    /// Ten partial fetches of most of a 300 KB message are past twice its size and a megabyte; the
    /// small messages before it are answered, and the read flag their fetch set is stored.
    @Test func aFetchPastTheBodyLimitEndsInNo() {
        var messages = IMAPDriver.defaultMessages
        messages[2] =
            "Subject: big\r\n\r\n" + String(repeating: String(repeating: "x", count: 998) + "\r\n", count: 300)
        var driver = IMAPDriver(messages: messages)
        driver.select()
        let items = (0..<10).map { "BODY[]<\($0).300000>" }.joined(separator: " ")
        let response = driver.send("c FETCH 1:3 (\(items))\r\n")
        #expect(response.hasPrefix("* 1 FETCH (BODY[]<0> {"))
        #expect(response.contains("* 2 FETCH ("))
        #expect(!response.contains("* 3 FETCH"))
        #expect(response.hasSuffix("c NO \(IMAPSessionStateMachine.overLimitText)\r\n"))
        #expect(IMAPSessionStateMachine.overLimitText.hasPrefix("[LIMIT] "))
        #expect(driver.requests.last == .setRead(ids: ["m2"], isRead: true))
        // Fewer of them are answered in full.
        let three = (0..<3).map { "BODY.PEEK[]<\($0).300000>" }.joined(separator: " ")
        #expect(driver.send("d FETCH 3 (\(three))\r\n").hasSuffix("d OK FETCH completed\r\n"))
    }

    private static func keywords(_ prefix: String, _ count: Int) -> String {
        (0..<count).map { "\(prefix)\($0)" }.joined(separator: " ")
    }

    @Test func aMessageTakesAtMost64Keywords() {
        var driver = IMAPDriver()
        driver.select()
        #expect(driver.send("c STORE 2 +FLAGS.SILENT (\(Self.keywords("k", 64)))\r\n") == "c OK STORE completed\r\n")
        #expect(
            driver.send("d STORE 2 +FLAGS.SILENT (extra)\r\n") == "d NO [LIMIT] A message has at most 64 keywords\r\n")
        let flags = driver.send("e FETCH 2 (FLAGS)\r\n")
        #expect(flags.contains("k63") && !flags.contains("extra"))
        // Replacing them is no more.
        #expect(driver.send("f STORE 2 FLAGS.SILENT (\(Self.keywords("j", 64)))\r\n") == "f OK STORE completed\r\n")
    }

    @Test func aMailboxTakesAtMost256Keywords() {
        let messages = (0..<5).map { "Subject: \($0)\r\n\r\nx\r\n" }
        var driver = IMAPDriver(messages: messages)
        driver.select()
        for number in 1...4 {
            let reply = driver.send(
                "s\(number) STORE \(number) +FLAGS.SILENT (\(Self.keywords("m\(number)k", 64)))\r\n")
            #expect(reply == "s\(number) OK STORE completed\r\n")
        }
        #expect(
            driver.send("t STORE 5 +FLAGS.SILENT (new)\r\n") == "t NO [LIMIT] A mailbox has at most 256 keywords\r\n")
        #expect(driver.send("u STORE 5 +FLAGS.SILENT (m1k0)\r\n") == "u OK STORE completed\r\n")
    }

    /// Mailpen's tags show as keywords but are not the session's to count: an inbox tagged a lot still takes
    /// the keywords clients set themselves.
    @Test func tagsDoNotCountAgainstTheKeywordLimits() {
        let messages = (0..<5).map { "Subject: \($0)\r\n\r\nx\r\n" }
        var driver = IMAPDriver(messages: messages)
        for index in 0..<5 { driver.inbox[index].info.keywords = (0..<100).map { "tag\(index)x\($0)" } }
        driver.select()
        #expect(driver.send("c STORE 1 +FLAGS.SILENT ($Forwarded NonJunk)\r\n") == "c OK STORE completed\r\n")
        #expect(driver.send("d FETCH 1 (FLAGS)\r\n").contains("$Forwarded"))
    }

    /// A FETCH of many messages loads and answers about a step's bytes at a time, each step sent before the
    /// next is built; the answer is the same.
    @Test func aLargeFetchIsAnsweredAStepAtATime() {
        var whole = IMAPDriver()
        whole.select()
        let expected = whole.send("c FETCH 1:3 (BODY.PEEK[])\r\n")
        var stepped = IMAPDriver(.init(hostname: "imap.test", fetchStepBytes: 150))
        stepped.select()
        #expect(stepped.send("c FETCH 1:3 (BODY.PEEK[])\r\n") == expected)
        let loads = stepped.requests.compactMap { request -> [String]? in
            if case .loadMessages(let ids) = request { return ids }
            return nil
        }
        #expect(loads == [["m1"], ["m2"], ["m3"]])
        // Cached now: a second FETCH still goes a step at a time.
        #expect(stepped.send("d FETCH 1:3 (BODY.PEEK[])\r\n").hasSuffix("d OK FETCH completed\r\n"))
        #expect(stepped.requests.count { if case .loadMessages = $0 { true } else { false } } > 3)
    }
}
