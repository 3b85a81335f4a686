import AsyncHTTPClient
import Foundation
import MailpenStore
import NIOCore
import NIOHTTP1

/// Posts one webhook delivery over HTTP and says how it went. Any URL the operator configured is
/// reached, loopback and private addresses included; redirects are not followed (a 3xx is a failure).
public struct WebhookSender: Sendable {
    /// How long one attempt may take, from connecting to the end of the answer.
    public var timeout: Duration
    private let client: HTTPClient

    public init(client: HTTPClient, timeout: Duration = .seconds(10)) {
        self.client = client
        self.timeout = timeout
    }

    /// A client suited to webhooks: no redirects, a connect timeout within the attempt's.
    public static func makeClient(timeout: Duration = .seconds(10)) -> HTTPClient {
        var configuration = HTTPClient.Configuration()
        configuration.redirectConfiguration = .disallow
        configuration.timeout = .init(connect: .init(timeout), read: .init(timeout))
        configuration.decompression = .disabled
        return HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
    }

    /// The headers of an attempt at `now`: the event, the delivery id (the same on every attempt) and,
    /// with a secret, the signature.
    public static func headers(for delivery: WebhookDelivery, now: Date) -> [(String, String)] {
        var headers = [
            ("Content-Type", "application/json"),
            ("User-Agent", "Mailpen-Webhooks"),
            ("Mailpen-Event", delivery.event.rawValue),
            ("Mailpen-Delivery", delivery.id),
        ]
        if let secret = delivery.secret {
            let timestamp = Int64(now.timeIntervalSince1970.rounded(.down))
            headers.append(
                (
                    "Mailpen-Signature",
                    WebhookSignature.header(
                        secret: secret, timestamp: timestamp, body: Array(delivery.body.utf8))
                ))
        }
        return headers
    }

    /// Makes one attempt.
    public func send(_ delivery: WebhookDelivery, now: Date = Date()) async -> WebhookAttemptOutcome {
        // The HTTP client traps on a port past 16 bits; a URL stored before ports were checked must fail instead.
        if let port = URL(string: delivery.url)?.port, !WebhookLimits.validPorts.contains(port) {
            return .failed("the URL's port \(port) is out of range")
        }
        var request = HTTPClientRequest(url: delivery.url)
        request.method = .POST
        for (name, value) in Self.headers(for: delivery, now: now) { request.headers.add(name: name, value: value) }
        request.body = .bytes(ByteBuffer(string: delivery.body))
        let deadline = NIODeadline.now() + TimeAmount(timeout)
        do {
            let response = try await client.execute(request, deadline: deadline)
            // The answer's body is read (bounded) so the connection can be reused; its content is ignored.
            _ = try? await response.body.collect(upTo: 64 * 1024)
            return .answered(Int(response.status.code))
        } catch let error as HTTPClientError where error == .deadlineExceeded || error == .readTimeout {
            return .failed("timed out after \(timeout)")
        } catch {
            return .failed(String(describing: error))
        }
    }
}
