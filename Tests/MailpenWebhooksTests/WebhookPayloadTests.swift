import Foundation
import MailpenStore
import Testing

@testable import MailpenWebhooks

@Suite("Webhook payloads and events")
struct WebhookPayloadTests {
    private func object(_ text: String) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
    }

    @Test("a stored event wraps the summary as the API writes it")
    func stored() throws {
        let body = WebhookPayload.stored(inbox: "qa \"team\"", summaryJSON: #"{"id":"M1","subject":"Hi"}"#)
        let json = try object(body)
        #expect(json["event"] as? String == "stored")
        #expect(json["inbox"] as? String == "qa \"team\"")
        #expect((json["message"] as? [String: Any])?["id"] as? String == "M1")
    }

    @Test("strings are escaped so that any inbox name or id reads back unchanged")
    func escaping() throws {
        for text in ["plain", "quote \" and \\ back", "line\nfeed\r\ttab", "\u{1}\u{1f}\u{7f}", "ünï 📮", ""] {
            let json = try object(WebhookPayload.deleted(inbox: text, ids: [text], all: false))
            #expect(json["inbox"] as? String == text)
            #expect(json["ids"] as? [String] == [text])
        }
    }

    @Test("a deleted event lists the ids, or says the inbox was emptied")
    func deleted() throws {
        let some = try object(WebhookPayload.deleted(inbox: "default", ids: ["A", "B"], all: false))
        #expect(some["ids"] as? [String] == ["A", "B"] && some["all"] as? Bool == false)
        let all = try object(WebhookPayload.deleted(inbox: "default", ids: [], all: true))
        #expect(all["ids"] as? [String] == [] && all["all"] as? Bool == true)
    }

    private var mapper: WebhookEventMapper {
        var mapper = WebhookEventMapper(
            representation: .init(summary: { #"{"id":"\#($0.id)"}"# }, delivery: { #"{"id":"\#($0.id)"}"# }))
        mapper.setSubscriptions(["QA": [.deleted, .delivery]])
        return mapper
    }

    @Test("only inboxes that want an event get it, matched without regard to case")
    func subscriptions() throws {
        #expect(try mapper.event(for: .deleted(inbox: "qa", ids: ["X"]))?.event == .deleted)
        #expect(try mapper.event(for: .deleted(inbox: "other", ids: ["X"])) == nil)
        #expect(try mapper.event(for: .cleared(inbox: "Qa"))?.body.contains(#""all":true"#) == true)
        #expect(try mapper.event(for: .inbox(name: "qa", change: .updated)) == nil)
    }

    @Test("the same deletion has the same key on every node; different ones differ")
    func keys() throws {
        let first = try #require(try mapper.event(for: .deleted(inbox: "qa", ids: ["A", "B"])))
        let again = try #require(try mapper.event(for: .deleted(inbox: "qa", ids: ["A", "B"])))
        let other = try #require(try mapper.event(for: .deleted(inbox: "qa", ids: ["A"])))
        #expect(first.key == again.key)
        #expect(first.key != other.key)
    }

    @Test("relay deliveries are events when queued, sent or failed, not while sending")
    func deliveries() throws {
        let now = Date()
        var delivery = Delivery(
            id: "D1", messageID: "M1", inbox: "qa", relay: "r", recipients: [], status: .sending, attempts: 0,
            lastReply: nil, lastError: nil, nextAttemptAt: nil, createdAt: now, updatedAt: now, history: [])
        #expect(try mapper.event(for: delivery) == nil)
        delivery.status = .sent
        delivery.attempts = 1
        let event = try #require(try mapper.event(for: delivery))
        #expect(event.key == "delivery:D1:1:sent")
        #expect(try object(event.body)["event"] as? String == "delivery")
    }

    @Test("headers carry the event, the delivery id and a signature only with a secret")
    func headers() {
        let now = Date(timeIntervalSince1970: 1_700_000_000.9)
        var delivery = WebhookDelivery(
            id: "abc", inbox: "default", url: "http://127.0.0.1:1/", event: .stored, body: "{}", secret: nil,
            backoffMilliseconds: 100, status: .sending, attempts: 0, lastStatusCode: nil, lastError: nil,
            nextAttemptAt: now, createdAt: now, updatedAt: now, history: [])
        var headers = Dictionary(uniqueKeysWithValues: WebhookSender.headers(for: delivery, now: now))
        #expect(headers["Mailpen-Event"] == "stored" && headers["Mailpen-Delivery"] == "abc")
        #expect(headers["Mailpen-Signature"] == nil)
        delivery.secret = "0123456789abcdef"
        headers = Dictionary(uniqueKeysWithValues: WebhookSender.headers(for: delivery, now: now))
        #expect(
            headers["Mailpen-Signature"]
                == WebhookSignature.header(secret: "0123456789abcdef", timestamp: 1_700_000_000, body: Array("{}".utf8))
        )
    }
}
