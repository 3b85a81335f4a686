import Foundation
import MailpenStore
import Testing

@testable import MailpenWebhooks

@Suite("Webhook retry schedule")
struct WebhookRetryScheduleTests {
    let schedule = WebhookRetrySchedule()

    @Test("the first retry waits the backoff, then each doubles")
    func doubling() {
        let delays = (1...5).map { schedule.delay(afterFailures: $0, backoffMilliseconds: 10_000) }
        #expect(delays == [.seconds(10), .seconds(20), .seconds(40), .seconds(80), .seconds(160)])
    }

    @Test("delays stop growing at the maximum, without overflow for any count")
    func capped() {
        #expect(schedule.delay(afterFailures: 20, backoffMilliseconds: 10_000) == .seconds(3600))
        #expect(schedule.delay(afterFailures: 63, backoffMilliseconds: 3_600_000) == .seconds(3600))
        #expect(schedule.delay(afterFailures: Int.max, backoffMilliseconds: Int.max) == .seconds(3600))
    }

    @Test("a delivery is given up once the next attempt would fall past 24 hours")
    func givesUp() {
        let created = Date(timeIntervalSince1970: 1_000_000)
        let early = schedule.nextAttempt(
            afterFailures: 1, backoffMilliseconds: 10_000, createdAt: created, now: created)
        #expect(early == created.addingTimeInterval(10))
        let late = created.addingTimeInterval(24 * 3600 - 5)
        #expect(
            schedule.nextAttempt(afterFailures: 30, backoffMilliseconds: 10_000, createdAt: created, now: late) == nil)
    }

    @Test("2xx is sent; anything else is queued again, or failed past the period")
    func results() {
        let created = Date(timeIntervalSince1970: 1_000_000)
        let delivery = WebhookDelivery(
            id: "d1", inbox: "default", url: "http://127.0.0.1:1/", event: .stored, body: "{}", secret: nil,
            backoffMilliseconds: 100, status: .sending, attempts: 2, lastStatusCode: nil, lastError: nil,
            nextAttemptAt: created, createdAt: created, updatedAt: created, history: [])
        let now = created.addingTimeInterval(1)
        let sent = schedule.result(for: delivery, outcome: .answered(204), now: now, duration: .milliseconds(5))
        #expect(sent.status == .sent && sent.nextAttemptAt == nil && sent.attempt.statusCode == 204)
        let retried = schedule.result(for: delivery, outcome: .answered(500), now: now, duration: .milliseconds(5))
        #expect(retried.status == .queued)
        // The third failure waits 100 ms × 2².
        #expect(retried.nextAttemptAt == now.addingTimeInterval(0.4))
        #expect(retried.attempt.error == "HTTP status 500")
        let expired = schedule.result(
            for: delivery, outcome: .failed("connection refused"), now: created.addingTimeInterval(24 * 3600),
            duration: .zero)
        #expect(expired.status == .failed && expired.attempt.error == "connection refused")
        #expect(schedule.result(for: delivery, outcome: .answered(302), now: now, duration: .zero).status == .queued)
    }
}
