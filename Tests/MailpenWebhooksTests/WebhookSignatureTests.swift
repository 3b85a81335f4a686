import Foundation
import Testing

@testable import MailpenWebhooks

@Suite("Webhook signature")
struct WebhookSignatureTests {
    @Test("matches HMAC-SHA256 of \"<t>.<body>\" as Python's hmac module computes it")
    func knownVector() {
        // python3 -c 'import hmac, hashlib; print(hmac.new(b"whsec_0123456789abcdef",
        //     b"1700000000.{\"event\":\"stored\"}", hashlib.sha256).hexdigest())'
        let header = WebhookSignature.header(
            secret: "whsec_0123456789abcdef", timestamp: 1_700_000_000, body: Array(#"{"event":"stored"}"#.utf8))
        #expect(header == "t=1700000000,v1=04bf66a528142bafbee179abf9e50629c66120961653b6d808f451cbab3a9543")
    }

    @Test("changes with the body, the time and the secret")
    func sensitivity() {
        let body = Array("{}".utf8)
        let base = WebhookSignature.hex(secret: "0123456789abcdef", timestamp: 10, body: body)
        #expect(base != WebhookSignature.hex(secret: "0123456789abcdef", timestamp: 11, body: body))
        #expect(base != WebhookSignature.hex(secret: "0123456789abcdeF", timestamp: 10, body: body))
        #expect(base != WebhookSignature.hex(secret: "0123456789abcdef", timestamp: 10, body: Array("{ }".utf8)))
    }
}
