import Foundation
import MailpenMIME
import MailpenSMTPCore
import Testing

@testable import MailpenCompat
@testable import MailpenStore

/// The JSON of Mailpit's shapes against Mailpit's own API description: every documented field present, under
/// its exact name, with the documented JSON type, and nothing undocumented (but `count`, which Mailpit still
/// sends and older clients read).
@Suite("Mailpit JSON shapes")
struct MailpitShapeTests {
    /// Read once and never written.
    nonisolated(unsafe) static let swagger: [String: Any] = {
        let data =
            (try? Data(contentsOf: compatFixtures.appendingPathComponent("mailpit-api-v1.swagger.json"))) ?? Data()
        return (try? JSONSerialization.jsonObject(with: data) as? [String: Any]) ?? [:]
    }()

    struct MissingDefinition: Error, CustomStringConvertible {
        let name: String
        var description: String { "Mailpit's description has no definition \(name) (is the fixture there?)" }
    }

    /// A schema of the description; throws when it is missing, so that a lost fixture fails every shape test
    /// instead of checking against an empty schema.
    static func definition(_ name: String) throws -> [String: Any] {
        guard let definition = (swagger["definitions"] as? [String: Any])?[name] as? [String: Any] else {
            throw MissingDefinition(name: name)
        }
        return definition
    }

    /// Checks `object` against a schema of the description, recursively; returns what does not match.
    static func mismatches(_ value: Any, _ schema: [String: Any], path: String = "$", extra: Set<String> = [])
        -> [String]
    {
        if let reference = schema["$ref"] as? String {
            let name = String(reference.split(separator: "/").last ?? "")
            guard let referenced = try? definition(name) else { return ["\(path): no definition \(name)"] }
            return mismatches(value, referenced, path: path, extra: extra)
        }
        switch schema["type"] as? String {
        case "object":
            guard let object = value as? [String: Any] else { return ["\(path) is not an object"] }
            var problems: [String] = []
            if let properties = schema["properties"] as? [String: [String: Any]] {
                for (name, property) in properties {
                    guard let field = object[name] else {
                        // Username is left out when no one authenticated, as Mailpit's omitempty does.
                        if name != "Username" { problems.append("\(path).\(name) is missing") }
                        continue
                    }
                    problems += mismatches(field, property, path: "\(path).\(name)")
                }
                for name in object.keys where properties[name] == nil && !extra.contains(name) {
                    problems.append("\(path).\(name) is not documented")
                }
            }
            if let additional = schema["additionalProperties"] as? [String: Any] {
                for (name, field) in object { problems += mismatches(field, additional, path: "\(path).\(name)") }
            }
            return problems
        case "array":
            guard let array = value as? [Any] else { return ["\(path) is not an array"] }
            let items = schema["items"] as? [String: Any] ?? [:]
            return array.enumerated().flatMap { mismatches($0.element, items, path: "\(path)[\($0.offset)]") }
        case "string":
            return value is String ? [] : ["\(path) is not a string"]
        case "boolean":
            return (value as? NSNumber).map { String(cString: $0.objCType) == "c" } == true
                ? [] : ["\(path) is not a boolean"]
        case "integer":
            guard let number = value as? NSNumber, String(cString: number.objCType) != "c",
                number.doubleValue.rounded() == number.doubleValue
            else { return ["\(path) is not an integer"] }
            return []
        case "number":
            return value is NSNumber ? [] : ["\(path) is not a number"]
        default:
            return []
        }
    }

    static let raw = Array(
        ("From: Shop <shop@example.com>\r\nTo: Bob <bob@example.com>, carol@example.com\r\nCc: dan@example.com\r\n"
            + "Bcc: audit@example.com\r\nReply-To: help@example.com\r\nSubject: Order\r\nMessage-ID: <m1@example.com>\r\n"
            + "Date: Sun, 29 Nov 2026 19:46:09 +0000\r\nList-Unsubscribe: <https://example.com/u>\r\nMIME-Version: 1.0\r\n"
            + "Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\nHello\r\n"
            + "--b\r\nContent-Type: application/pdf; name=a.pdf\r\nContent-Disposition: attachment; filename=a.pdf\r\n"
            + "Content-Transfer-Encoding: base64\r\n\r\nJVBERg==\r\n--b--\r\n").utf8)

    static let summary = MessageSummary(
        id: "01M8MDFVAACGBSQPW0RZ78CSRZ", inbox: "shop", receivedAt: Date(timeIntervalSince1970: 1_796_067_969.355),
        from: MessageAddress(name: "Shop", address: "shop@example.com"),
        to: [MessageAddress(name: "Bob", address: "bob@example.com")], cc: [], subject: "Order", snippet: "Hello",
        size: raw.count, attachmentCount: 1, isRead: false, tags: ["Tag 1"])

    static let stored = StoredMessage(
        summary: summary,
        envelope: MessageEnvelope(
            source: .smtp, mailFrom: "bounce@example.com", recipients: [.init(address: "bob@example.com")],
            authenticatedUser: "shop"),
        raw: raw)

    @Test func messageSummaryMatchesTheDescription() throws {
        let entry = Mailpit.MessageSummary(
            Self.summary, header: HeaderBlock.parse(Self.raw), envelope: Self.stored.envelope)
        let object = try jsonObject(entry)
        #expect(Self.mismatches(object, try Self.definition("MessageSummary")) == [])
        let fields = try #require(object as? [String: Any])
        #expect(fields["MessageID"] as? String == "m1@example.com")
        #expect(fields["Created"] as? String == "2026-11-30T19:46:09.355Z")
        #expect((fields["Bcc"] as? [[String: String]])?.first?["Address"] == "audit@example.com")
        #expect(fields["Username"] as? String == "shop")
    }

    @Test func messagesSummaryMatchesTheDescription() throws {
        let entry = Mailpit.MessageSummary(Self.summary, header: nil, envelope: nil)
        let page = Mailpit.MessagesSummary(
            total: 3, unread: 1, count: 1, messagesCount: 2, messagesUnread: 1, start: 0, tags: ["Tag 1"],
            messages: [entry])
        let object = try jsonObject(page)
        #expect(Self.mismatches(object, try Self.definition("MessagesSummary"), extra: ["count"]) == [])
        let fields = try #require(object as? [String: Any])
        #expect(
            fields["messages_count"] as? Int == 2 && fields["messages_unread"] as? Int == 1
                && fields["count"] as? Int == 1)
    }

    @Test func fullMessageMatchesTheDescription() throws {
        let message = Mailpit.Message(Self.stored, parsed: MIMEMessage(Self.raw))
        let object = try jsonObject(message)
        // `Read` is not in the description any more, but older clients need it.
        #expect(Self.mismatches(object, try Self.definition("Message"), extra: ["Read"]) == [])
        #expect((object as? [String: Any])?["Read"] as? Bool == false)
        #expect(message.attachments.map(\.fileName) == ["a.pdf"])
        #expect(message.attachments.first?.checksums.md5 == "bfa4b10a76324b166cfdad5e02a63730")
        #expect(message.attachments.first?.checksums.sha256.count == 64)
        #expect(message.returnPath == "bounce@example.com")
        #expect(message.listUnsubscribe.links == ["https://example.com/u"])
        #expect(message.date == "2026-11-29T19:46:09.000Z")
        #expect(message.text == "Hello")
    }

    @Test func checkAndApplicationShapesMatchTheDescription() throws {
        let spam = Mailpit.SpamAssassin(
            error: "", isSpam: false, score: 1.5, rules: [.init(name: "R", score: 1.5, description: "d")])
        #expect(Self.mismatches(try jsonObject(spam), try Self.definition("SpamAssassinResponse")) == [])
        let links = Mailpit.LinkCheck(
            errors: 1, links: [.init(url: "https://x.test", statusCode: 0, status: "refused")])
        #expect(Self.mismatches(try jsonObject(links), try Self.definition("LinkCheckResponse")) == [])
        let html = Mailpit.HTMLCheck(
            platforms: ["Gmail": ["desktop-webmail"]],
            total: .init(nodes: 3, tests: 1, supported: 50, partial: 0, unsupported: 50),
            warnings: [
                .init(
                    slug: "css-display-flex", title: "display:flex", description: "", category: "css", url: "u",
                    keywords: "",
                    tags: [], notesByNumber: ["1": "n"],
                    results: [
                        .init(
                            name: "Gmail", family: "Gmail", platform: "webmail", version: "2019", support: "no",
                            noteNumber: "1")
                    ],
                    score: .init(found: 1, supported: 50, partial: 0, unsupported: 50))
            ])
        #expect(Self.mismatches(try jsonObject(html), try Self.definition("HTMLCheckResponse")) == [])
        let info = Mailpit.AppInformation(
            version: "1", latestVersion: "1", database: "db", databaseSize: 1, messages: 2, unread: 1, tags: ["a": 1],
            runtimeStats: .init(
                uptime: 1, memory: 2, messagesDeleted: 0, smtpAccepted: 0, smtpAcceptedSize: 0, smtpRejected: 0,
                smtpIgnored: 0))
        #expect(Self.mismatches(try jsonObject(info), try Self.definition("AppInformation")) == [])
        let webUI = Mailpit.WebUIConfiguration(
            label: "",
            messageRelay: .init(
                enabled: false, smtpServer: "", returnPath: "", allowedRecipients: "", blockedRecipients: "",
                overrideFrom: "", preserveMessageIDs: false),
            spamAssassin: false, chaosEnabled: false, duplicatesIgnored: false, hideDeleteAllButton: false)
        #expect(Self.mismatches(try jsonObject(webUI), try Self.definition("WebUIConfiguration")) == [])
    }

    /// The description's own examples, encoded byte for byte.
    @Test func sendConfirmationAndJSONErrorMatchTheDescriptionsExamples() throws {
        let responses = try #require(Self.swagger["responses"] as? [String: Any])
        let send = try #require(
            ((responses["SendMessageResponse"] as? [String: Any])?["schema"] as? [String: Any])?["properties"]
                as? [String: Any])
        let example = try #require((send["ID"] as? [String: Any])?["example"] as? String)
        #expect(
            CompatJSON.data(Mailpit.SendConfirmation(id: example)) == (try golden("mailpit-send-confirmation.json")))
        let error = try #require(
            ((responses["JSONErrorResponse"] as? [String: Any])?["schema"] as? [String: Any])?["properties"]
                as? [String: Any])
        let message = try #require((error["Error"] as? [String: Any])?["example"] as? String)
        #expect(CompatJSON.data(Mailpit.JSONError(error: message)) == (try golden("mailpit-json-error.json")))
    }

    @Test func headerNamesAreCanonicalAsGoWritesThem() {
        #expect(MailpitAPI<TestContext>.canonicalName("message-ID") == "Message-Id")
        #expect(MailpitAPI<TestContext>.canonicalName("CONTENT-TYPE") == "Content-Type")
        #expect(MailpitAPI<TestContext>.canonicalName("x-mailer") == "X-Mailer")
        #expect(MailpitAPI<TestContext>.canonicalName("bad name") == "bad name")
        let header = HeaderBlock.parse(Array("Received: a\r\n b\r\nreceived: c\r\nSubject: s\r\n\r\nbody".utf8)).header
        #expect(MailpitAPI<TestContext>.headerMap(header) == ["Received": ["a b", "c"], "Subject": ["s"]])
    }

    @Test func tagsAreCleanedAsMailpitCleansThem() {
        #expect(
            MailpitTags.cleaned(["Tag 1", "urgent!", "", "tag 1", "a/b"]) == ["Tag 1", "urgent", "ab"])
    }
}
