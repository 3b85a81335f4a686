import Foundation
import Mailpen
import MailpenSMTPCore
import MailpenStore
import MailpenTestSupport
import MailpenTesting
import Synchronization
import Testing

@testable import MailpenOutbound
@testable import MailpenRelay

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// Releasing captured mail end to end: a Mailpen that captures, its relay service and delivery queue, and a
/// real SMTP server on the other side (a second Mailpen, or a scripted one for the replies it cannot give).
@Suite("Relaying captured mail")
struct RelayDeliveryTests {
    static let client = OutboundSMTPClient()

    /// Sends a message into `server` over SMTP, as an application would, and returns its stored id.
    static func capture(
        into server: MailpenServerFixture, from: String = "app@example.com", to recipients: [String],
        content: [UInt8]? = nil
    ) async throws -> String {
        let bytes =
            content
            ?? Array(
                ("From: app@example.com\r\nTo: \(recipients.joined(separator: ", "))\r\nSubject: release me\r\n"
                    + "Message-ID: <\(UUID().uuidString)@example.com>\r\n\r\nHello .\r\n.dot line\r\n").utf8)
        let result = await client.send(
            OutboundMessage(mailFrom: from, recipients: recipients, content: bytes),
            to: RelayTarget(host: "127.0.0.1", port: server.smtpPort, tls: .none, timeouts: .uniform(.seconds(10))))
        #expect(result.outcome == .sent, "\(result)")
        return try MailpenRelayTests.queuedID(result)
    }

    static func queue(_ server: MailpenServerFixture) throws -> any DeliveryQueue {
        try #require(server.store as? any DeliveryQueue)
    }

    static func relays(_ server: MailpenServerFixture) async throws -> RelayService {
        try #require(await server.mailpen.server.relays)
    }

    /// Polls until every delivery of the message is `sent` or `failed`.
    static func finished(
        _ messageID: String, in server: MailpenServerFixture, count: Int = 1, timeout: Duration = .seconds(20)
    ) async throws -> [Delivery] {
        let queue = try queue(server)
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            let deliveries = try await queue.deliveries(messageID: messageID)
            if deliveries.count >= count, deliveries.allSatisfy({ $0.status == .sent || $0.status == .failed }) {
                return deliveries
            }
            try await Task.sleep(for: .milliseconds(25))
        }
        Issue.record("deliveries of \(messageID) did not finish: \(try await queue.deliveries(messageID: messageID))")
        return try await queue.deliveries(messageID: messageID)
    }

    static func relay(_ name: String, _ url: String) throws -> RelayConfiguration {
        try RelayConfiguration.load(flags: ["\(name)=\(url)"], environment: nil, file: nil)
    }

    /// `raw` split into its leading `Received:` field (with its folded lines) and the rest.
    static func splitReceived(_ raw: [UInt8]) -> (field: String, rest: [UInt8]) {
        var end = 0
        repeat {
            guard let lineEnd = raw[end...].firstIndex(of: 0x0A) else { return ("", raw) }
            end = lineEnd + 1
        } while end < raw.count && (raw[end] == 0x09 || raw[end] == 0x20)
        return (String(decoding: raw[..<end], as: UTF8.self), Array(raw[end...]))
    }

    // MARK: - To a second Mailpen

    @Test func releaseArrivesByteIdenticalOverStartTLSWithAuth() async throws {
        try await MailpenServerFixture.with({
            $0.tls = .automatic
            $0.authenticationPolicy = .strict
        }) { target in
            _ = try await target.store.createInbox(named: "team", password: "p@ss word")
            let url = "smtp://team:p%40ss%20word@127.0.0.1:\(target.smtpPort)?tls=starttls&verify=false&auth=login"
            try await MailpenServerFixture.with({
                $0.relays = try! Self.relay("team", url)
                $0.hostname = "capture.test"
            }) { source in
                let content = MailpenRelayTests.trickyMessage()
                let id = try await Self.capture(into: source, to: ["dev@mycompany.example"], content: content)
                let released = try await Self.relays(source).release(
                    messageID: id, relay: "team", to: ["dev@mycompany.example"])
                #expect(released.map(\.status) == [.queued])
                let deliveries = try await Self.finished(id, in: source)
                let delivery = try #require(deliveries.first)
                #expect(delivery.status == .sent, "\(delivery)")
                #expect(delivery.attempts == 1)
                #expect(
                    delivery.recipients == [
                        .init(address: "dev@mycompany.example", status: .sent, reply: "250 2.1.5 Ok")
                    ])
                let reply = try #require(delivery.lastReply)
                #expect(reply.hasPrefix("250 2.0.0 Ok: queued as "))

                let arrived = try #require(await target.store.summaries(inInbox: "team").first)
                let raw = try #require(try await target.store.rawMessage(id: arrived.id))
                let (received, rest) = Self.splitReceived(raw)
                #expect(received.hasPrefix("Received: from "))
                #expect(received.contains("by capture.test (Mailpen) with ESMTP id \(id)"))
                #expect(received.contains("for <dev@mycompany.example>"))
                #expect(rest == content, "the relayed bytes are the captured bytes after one Received: field")
                let envelope = try #require(try await target.store.envelope(id: arrived.id))
                #expect(envelope.authenticatedUser == "team")
                #expect(envelope.tlsVersion != nil)
                #expect(envelope.mailFrom == "app@example.com")
                #expect(envelope.recipients.map(\.address) == ["dev@mycompany.example"])
            }
        }
    }

    // MARK: - Retries and failures

    /// A server that greylists the first `temporaryFailures` transactions with 451 and then accepts.
    static func greylisting(temporaryFailures: Int, final: String = "250 2.0.0 Ok: queued as X1")
        async throws -> ScriptedSMTPServer
    {
        let transactions = Atomic<Int>(0)
        return try await ScriptedSMTPServer.start { connection in
            try await connection.reply("220 mx.test ESMTP")
            try await connection.expect("EHLO")
            try await connection.reply("250-mx.test\r\n250 ENHANCEDSTATUSCODES")
            try await connection.expect("MAIL FROM:")
            try await connection.reply("250 2.1.0 Ok")
            try await connection.expect("RCPT TO:")
            try await connection.reply("250 2.1.5 Ok")
            try await connection.expect("DATA")
            try await connection.reply("354 go on")
            _ = try await connection.readData()
            let number = transactions.add(1, ordering: .sequentiallyConsistent).newValue
            try await connection.reply(number <= temporaryFailures ? "451 4.3.0 try again later" : final)
            try await connection.expect("QUIT")
            try await connection.reply("221 Bye")
        }
    }

    @Test func temporaryFailuresAreRetriedUntilSent() async throws {
        let server = try await Self.greylisting(temporaryFailures: 2)
        defer { Task { await server.stop() } }
        let url = "smtp://127.0.0.1:\(server.port)?tls=none&allow=*@example.com&backoff=100ms"
        try await MailpenServerFixture.with({ $0.relays = try! Self.relay("grey", url) }) { source in
            let id = try await Self.capture(into: source, to: ["b@example.com"])
            _ = try await Self.relays(source).release(messageID: id, relay: "grey", to: nil)
            let delivery = try #require(try await Self.finished(id, in: source).first)
            #expect(delivery.status == .sent)
            #expect(delivery.attempts == 3)
            #expect(delivery.history.map(\.outcome) == ["temporaryFailure", "temporaryFailure", "sent"])
            #expect(delivery.history.first?.error == "the message was refused: 451 4.3.0 try again later")
            #expect(delivery.lastReply == "250 2.0.0 Ok: queued as X1")
            #expect(delivery.lastError == nil)
            #expect(delivery.nextAttemptAt == nil)
            let gaps = zip(delivery.history, delivery.history.dropFirst()).map { $1.at.timeIntervalSince($0.at) }
            #expect(gaps.count == 2 && gaps[0] >= 0.07 && gaps[1] >= 0.15, "backoff doubles: \(gaps)")
        }
        #expect(server.received.filter { $0.hasPrefix("<data") }.count == 3)
    }

    @Test func permanentFailureFailsAtOnceAndKeepsTheReply() async throws {
        let server = try await Self.greylisting(temporaryFailures: 0, final: "550 5.7.1 relaying denied")
        defer { Task { await server.stop() } }
        let url = "smtp://127.0.0.1:\(server.port)?tls=none&backoff=100ms"
        try await MailpenServerFixture.with({ $0.relays = try! Self.relay("strict", url) }) { source in
            let id = try await Self.capture(into: source, to: ["b@example.com"])
            _ = try await Self.relays(source).release(messageID: id, relay: "strict", to: ["b@example.com"])
            let delivery = try #require(try await Self.finished(id, in: source).first)
            #expect(delivery.status == .failed)
            #expect(delivery.attempts == 1)
            #expect(delivery.lastReply == "550 5.7.1 relaying denied")
            #expect(delivery.lastError == "the message was refused: 550 5.7.1 relaying denied")
            #expect(delivery.recipients.map(\.status) == [.failed])
            try await Task.sleep(for: .milliseconds(400))
            #expect(try await Self.queue(source).delivery(id: delivery.id)?.attempts == 1, "no retry after a 5xx")
        }
    }

    @Test func givesUpWhenTheRetryTimeRunsOut() async throws {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("relays-\(UUID().uuidString).yaml")
        defer { try? FileManager.default.removeItem(at: file) }
        // Port 9 (discard) on loopback: nothing listens, so every attempt fails to connect.
        try """
        relays:
          down:
            url: smtp://127.0.0.1:9?tls=none
            retry: { backoff: 100ms, giveUpAfter: 1s }
        """.write(to: file, atomically: true, encoding: .utf8)
        let configuration = try RelayConfiguration.load(flags: [], environment: nil, file: file.path)
        try await MailpenServerFixture.with({ $0.relays = configuration }) { source in
            let id = try await Self.capture(into: source, to: ["b@example.com"])
            _ = try await Self.relays(source).release(messageID: id, relay: "down", to: ["b@example.com"])
            let delivery = try #require(try await Self.finished(id, in: source).first)
            #expect(delivery.status == .failed)
            // 100 ms, 200 ms, 400 ms...: at most five attempts fit in a second (on a loaded machine, fewer).
            #expect((1...5).contains(delivery.attempts), "\(delivery)")
            #expect(delivery.lastError?.contains("could not connect to 127.0.0.1:9") == true)
            #expect(delivery.lastError?.hasSuffix("gave up: the retry time ran out") == true)
        }
    }

    @Test func partlyRefusedRecipientsAreRecordedAndOnlyTheRetriableOnesRetried() async throws {
        // First connection: a@ accepted, b@ greylisted, c@ unknown; later ones accept b@.
        let connections = Atomic<Int>(0)
        let server = try await ScriptedSMTPServer.start { connection in
            let number = connections.add(1, ordering: .sequentiallyConsistent).newValue
            try await connection.reply("220 mx.test ESMTP")
            try await connection.expect("EHLO")
            try await connection.reply("250-mx.test\r\n250 ENHANCEDSTATUSCODES")
            try await connection.expect("MAIL FROM:")
            try await connection.reply("250 2.1.0 Ok")
            while let line = try await connection.readLine(), line.uppercased().hasPrefix("RCPT TO:") {
                if line.contains("<a@") || (line.contains("<b@") && number > 1) {
                    try await connection.reply("250 2.1.5 Ok")
                } else if line.contains("<b@") {
                    try await connection.reply("451 4.7.1 greylisted")
                } else {
                    try await connection.reply("550 5.1.1 no such user")
                }
                if line.contains("<c@") || number > 1 { break }
            }
            try await connection.expect("DATA")
            try await connection.reply("354 go on")
            _ = try await connection.readData()
            try await connection.reply("250 2.0.0 Ok: queued as T\(number)")
            try await connection.expect("QUIT")
            try await connection.reply("221 Bye")
        }
        defer { Task { await server.stop() } }
        let url = "smtp://127.0.0.1:\(server.port)?tls=none&allow=*@example.com&backoff=100ms"
        try await MailpenServerFixture.with({ $0.relays = try! Self.relay("mx", url) }) { source in
            let recipients = ["a@example.com", "b@example.com", "c@example.com"]
            let id = try await Self.capture(into: source, to: recipients)
            _ = try await Self.relays(source).release(messageID: id, relay: "mx", to: recipients)
            let delivery = try #require(try await Self.finished(id, in: source).first)
            #expect(delivery.status == .sent)
            #expect(delivery.attempts == 2)
            #expect(
                delivery.recipients == [
                    .init(address: "a@example.com", status: .sent, reply: "250 2.1.5 Ok"),
                    .init(address: "b@example.com", status: .sent, reply: "250 2.1.5 Ok"),
                    .init(address: "c@example.com", status: .failed, reply: "550 5.1.1 no such user"),
                ])
            #expect(delivery.history.map(\.reply) == ["250 2.0.0 Ok: queued as T1", "250 2.0.0 Ok: queued as T2"])
        }
        let recipientLines = server.received.filter { $0.uppercased().hasPrefix("RCPT TO:") }
        #expect(
            recipientLines == [
                "RCPT TO:<a@example.com>", "RCPT TO:<b@example.com>", "RCPT TO:<c@example.com>",
                "RCPT TO:<b@example.com>",
            ],
            "the second attempt carries only the greylisted recipient")
    }

    // MARK: - Policy

    @Test func releaseOutsideThePolicyIsRefusedAndNothingIsQueued() async throws {
        let url = "smtp://127.0.0.1:9?tls=none&allow=*@mycompany.example&deny=ceo@mycompany.example"
        try await MailpenServerFixture.with({ $0.relays = try! Self.relay("team", url) }) { source in
            let id = try await Self.capture(into: source, to: ["bob@mycompany.example", "eve@other.example"])
            let relays = try await Self.relays(source)
            await #expect(
                throws: RelayError.refusedByPolicy(relay: "team", recipients: ["eve@other.example"], hasAllowList: true)
            ) {
                try await relays.release(messageID: id, relay: "team", to: nil)
            }
            await #expect(
                throws: RelayError.refusedByPolicy(
                    relay: "team", recipients: ["ceo@mycompany.example"], hasAllowList: true)
            ) {
                try await relays.release(
                    messageID: id, relay: "team", to: ["bob@mycompany.example", "ceo@mycompany.example"])
            }
            // Quoting a local part does not change the mailbox, nor get past the deny pattern.
            for quoted in ["\"ceo\"@mycompany.example", "\"c\\eo\"@mycompany.example"] {
                await #expect(
                    throws: RelayError.refusedByPolicy(
                        relay: "team", recipients: ["ceo@mycompany.example"], hasAllowList: true)
                ) {
                    try await relays.release(messageID: id, relay: "team", to: [quoted])
                }
            }
            await #expect(throws: RelayError.invalidRecipient("eve@other.example,bob@mycompany.example")) {
                try await relays.release(messageID: id, relay: "team", to: ["eve@other.example,bob@mycompany.example"])
            }
            await #expect(throws: RelayError.unknownRelay("nope")) {
                try await relays.release(messageID: id, relay: "nope", to: ["bob@mycompany.example"])
            }
            #expect(try await Self.queue(source).deliveries(messageID: id).isEmpty)
        }
    }

    @Test func aRelayWithoutAllowTakesOnlyNamedRecipients() async throws {
        try await MailpenServerFixture.with({ $0.relays = try! Self.relay("open", "smtp://127.0.0.1:9?tls=none") }) {
            source in
            let id = try await Self.capture(into: source, to: ["bob@example.com"])
            let relays = try await Self.relays(source)
            await #expect(throws: RelayError.self) {
                try await relays.release(messageID: id, relay: "open", to: nil)
            }
            let queued = try await relays.release(messageID: id, relay: "open", to: ["bob@example.com"])
            #expect(queued.map(\.to) == [["bob@example.com"]])
        }
    }

    @Test func autoRelaySendsMatchingMailToItsAllowedRecipientsOnly() async throws {
        let server = try await Self.greylisting(temporaryFailures: 0)
        defer { Task { await server.stop() } }
        let url = "smtp://127.0.0.1:\(server.port)?tls=none&allow=*@mycompany.example&deny=ceo@mycompany.example"
        try await MailpenServerFixture.with({ $0.relays = try! Self.relay("team", url) }) { source in
            try await Self.relays(source).setAutoRelayRules(
                [AutoRelayRule(relay: "team", query: "to:@mycompany.example")], inbox: "default")
            // Anyone who can send mail chooses these recipients: a quoted local part is still the denied mailbox.
            let matching = try await Self.capture(
                into: source, to: ["bob@mycompany.example", "eve@other.example", "\"ceo\"@mycompany.example"])
            let other = try await Self.capture(into: source, to: ["eve@other.example"])
            let delivery = try #require(try await Self.finished(matching, in: source).first)
            #expect(delivery.to == ["bob@mycompany.example"])
            #expect(delivery.status == .sent)
            try await Task.sleep(for: .milliseconds(200))
            #expect(try await Self.queue(source).deliveries(messageID: other).isEmpty)
            #expect(server.received.filter { $0.hasPrefix("RCPT TO:") } == ["RCPT TO:<bob@mycompany.example>"])
        }
    }

    @Test func autoRelayRulesNeedAKnownRelayAndAValidQuery() async throws {
        try await MailpenServerFixture.with({ $0.relays = try! Self.relay("team", "smtp://127.0.0.1:9") }) { source in
            let relays = try await Self.relays(source)
            await #expect(throws: RelayError.unknownRelay("gone")) {
                try await relays.setAutoRelayRules([AutoRelayRule(relay: "gone", query: "")], inbox: "default")
            }
            await #expect(throws: RelayError.self) {
                try await relays.setAutoRelayRules(
                    [AutoRelayRule(relay: "team", query: "subject:\"open")], inbox: "default")
            }
            // Kept up to the NUL, this would relay every message whose subject holds an "a".
            await #expect(throws: RelayError.invalidRule("an autoRelay query has no control characters")) {
                try await relays.setAutoRelayRules(
                    [AutoRelayRule(relay: "team", query: "subject:a\u{0}b")], inbox: "default")
            }
            #expect(try await Self.queue(source).autoRelayRules(inbox: "default").isEmpty)
        }
    }

    // MARK: - Several nodes on PostgreSQL

    /// Two nodes share one PostgreSQL database and the same relay: each message is relayed once, by the node
    /// that stored it (auto-relay) or that was asked (release), whichever node reads the queue; and a rule
    /// set on one node applies to mail stored on the other, which had already looked the rules up.
    @Test(.enabled(if: TestPostgres.serverURL != nil, "\(TestPostgres.skipNote)"))
    func twoNodesOnPostgreSQLRelayEachMessageOnce() async throws {
        try await withPostgresDatabase { database in
            try await MailpenServerFixture.with { target in
                let relay = try Self.relay(
                    "team", "smtp://127.0.0.1:\(target.smtpPort)?tls=none&allow=*@mycompany.example&backoff=100ms")
                let node: (inout MailpenConfiguration) -> Void = {
                    $0.postgresURL = database
                    $0.relays = relay
                }
                try await MailpenServerFixture.with(node) { a in
                    try await MailpenServerFixture.with(node) { b in
                        // B looks up the (still empty) rules before A sets them.
                        let early = try await Self.capture(into: b, to: ["early@other.example"])
                        try await Self.relays(a).setAutoRelayRules(
                            [AutoRelayRule(relay: "team", query: "to:@mycompany.example")], inbox: "default")
                        try await Task.sleep(for: .seconds(2))
                        var automatic: [String] = []
                        for index in 0..<10 {
                            automatic.append(
                                try await Self.capture(
                                    into: index.isMultiple(of: 2) ? a : b, to: ["dev\(index)@mycompany.example"]))
                        }
                        let manual = try await Self.capture(into: a, to: ["someone@other.example"])
                        _ = try await Self.relays(b).release(
                            messageID: manual, relay: "team", to: ["ops@mycompany.example"])

                        for id in automatic + [manual] {
                            let deliveries = try await Self.finished(id, in: a)
                            #expect(deliveries.map(\.status) == [.sent], "\(id): \(deliveries)")
                        }
                        #expect(try await Self.queue(b).deliveries(messageID: early).isEmpty)
                        let deadline = ContinuousClock.now + .seconds(20)
                        while try await target.store.summaries(inInbox: "default").count < 11,
                            ContinuousClock.now < deadline
                        {
                            try await Task.sleep(for: .milliseconds(50))
                        }
                        // Anything sent twice would arrive within this second too.
                        try await Task.sleep(for: .seconds(1))
                        let arrived = try await target.store.summaries(inInbox: "default")
                        #expect(arrived.count == 11)
                        #expect(try await Self.queue(a).deliveries(status: nil, relay: "team", limit: 100).count == 11)
                    }
                }
            }
        }
    }

    // MARK: - A relay that hangs

    @Test func relaysThatNeverGreetLeaveTheOtherRelaysTheirTurn() async throws {
        // Every connection to `hang1` and `hang2` is accepted and never greeted: each attempt holds its slot
        // for the 5-minute greeting timeout. Ten are queued to each before the one to `team`.
        let connections = Mutex(0)
        var hanging: [ScriptedSMTPServer] = []
        for _ in 0..<2 {
            hanging.append(
                try await ScriptedSMTPServer.start { connection in
                    connections.withLock { $0 += 1 }
                    await connection.stall(for: .seconds(60))
                })
        }
        try await MailpenServerFixture.with { target in
            let relays = try RelayConfiguration.load(
                flags: [
                    "hang1=smtp://127.0.0.1:\(hanging[0].port)?tls=none&allow=*@example.com",
                    "hang2=smtp://127.0.0.1:\(hanging[1].port)?tls=none&allow=*@example.com",
                    "team=smtp://127.0.0.1:\(target.smtpPort)?tls=none&allow=*@example.com",
                ], environment: nil, file: nil)
            try await MailpenServerFixture.with({
                $0.relays = relays
                $0.shutdownGraceSeconds = 1
            }) { source in
                let id = try await Self.capture(into: source, to: ["b@example.com"])
                let service = try await Self.relays(source)
                for index in 0..<10 {
                    for relay in ["hang1", "hang2"] {
                        _ = try await service.release(messageID: id, relay: relay, to: ["h\(index)@example.com"])
                    }
                }
                try await Task.sleep(for: .milliseconds(500))  // the hanging attempts have started
                let released = try await service.release(messageID: id, relay: "team", to: ["t@example.com"])
                let queue = try Self.queue(source)
                let deadline = ContinuousClock.now + .seconds(20)
                var delivery = try await queue.delivery(id: try #require(released.first).id)
                while delivery?.status != .sent, ContinuousClock.now < deadline {
                    try await Task.sleep(for: .milliseconds(50))
                    delivery = try await queue.delivery(id: try #require(released.first).id)
                }
                #expect(delivery?.status == .sent)
                // Each hanging relay holds its share of the attempts: together, every slot but team's extra one.
                let counted = ContinuousClock.now + .seconds(10)
                while connections.withLock({ $0 }) < 8, ContinuousClock.now < counted {
                    try await Task.sleep(for: .milliseconds(20))
                }
                try await Task.sleep(for: .milliseconds(300))
                #expect(connections.withLock { $0 } == 8)
            }
            #expect(try await target.store.summaries(inInbox: "default").count == 1)
        }
        for server in hanging { await server.stop() }
    }

    // MARK: - Restarts

    @Test func queuedAndInterruptedDeliveriesResumeAfterARestart() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent(
            "mailpen-restart-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let database = directory.appendingPathComponent("mailpen.sqlite").path
        var id = ""
        var interrupted = ""
        // First run: the relay is down (nothing listens on port 9), so the release keeps failing; and one
        // delivery is claimed but never recorded, as when a process dies mid-attempt.
        try await MailpenServerFixture.with({
            $0.databasePath = database
            $0.relays = try! Self.relay("team", "smtp://127.0.0.1:9?tls=none&backoff=100ms")
        }) { source in
            id = try await Self.capture(into: source, to: ["b@example.com"])
            let queue = try Self.queue(source)
            _ = try await Self.relays(source).release(messageID: id, relay: "team", to: ["b@example.com"])
            let later = Date().addingTimeInterval(3600)
            interrupted = try #require(
                try await queue.enqueue(
                    [DeliveryRequest(messageID: id, relay: "team", recipients: ["c@example.com"])], at: later
                )
                .first
            ).id
            let claimed = try await queue.claimDueDeliveries(now: later.addingTimeInterval(1), limit: 10)
            #expect(claimed.map(\.id).contains(interrupted))
            let deadline = ContinuousClock.now + .seconds(10)
            while try await queue.deliveries(messageID: id).first?.attempts ?? 0 < 2, ContinuousClock.now < deadline {
                try await Task.sleep(for: .milliseconds(20))
            }
            let statuses = try await queue.deliveries(messageID: id).map(\.status)
            #expect(statuses.first == .queued || statuses.first == .sending)
            #expect(statuses.last == .sending)
        }
        // Second run: the same relay name now leads to a working server; both deliveries go, once each.
        try await MailpenServerFixture.with { target in
            try await MailpenServerFixture.with({
                $0.databasePath = database
                $0.relays = try! Self.relay("team", "smtp://127.0.0.1:\(target.smtpPort)?tls=none&backoff=100ms")
            }) { source in
                let deliveries = try await Self.finished(id, in: source, count: 2)
                #expect(deliveries.map(\.status) == [.sent, .sent])
                #expect(deliveries.last?.id == interrupted)
                #expect(deliveries.last?.attempts == 1)
            }
            let arrived = try await target.store.summaries(inInbox: "default")
            #expect(arrived.count == 2)
        }
    }
}
