import Hummingbird
import HummingbirdTesting
import Logging
import MailpenTestSupport
import MailpenTesting

@testable import MailpenHTTP
@testable import MailpenStore

/// A store on a temporary file, and what the API's router needs over it.
struct APIFixture {
    let store: SQLiteStore

    func dependencies(
        webRoot: String? = nil, basicAuthentication: String? = nil, createsInboxesOnFirstUse: Bool = true
    ) -> MailpenHTTP.Dependencies {
        var logger = Logger(label: "test")
        logger.logLevel = .critical
        return MailpenHTTP.Dependencies(
            store: store, smtp: SMTPAdvertisement(host: "127.0.0.1", port: 2525, startTLS: true, implicitTLSPort: nil),
            webRoot: webRoot, basicAuthentication: basicAuthentication, maximumMessageSize: 64 * 1024,
            createsInboxesOnFirstUse: createsInboxesOnFirstUse, logger: logger)
    }

    /// Stores a raw message through the store, as SMTP would (into a new inbox if need be), and waits until
    /// it is searchable.
    @discardableResult
    func deliver(
        _ raw: String, inbox: String = "default", to: [String] = ["bob@example.com"], from: String = "alice@example.com"
    ) async throws -> MessageSummary {
        try await deliver(incoming(raw, inbox: inbox, from: from, to: to, create: true))
    }

    /// Stores `message` with its own addresses as the envelope, like ``deliver(_:inbox:to:from:)``.
    @discardableResult
    func deliver(_ message: TestMessage, inbox: String = "default") async throws -> MessageSummary {
        try await deliver(incoming(message, inbox: inbox, create: true))
    }

    private func deliver(_ message: IncomingMessage) async throws -> MessageSummary {
        let events = await store.indexed.subscribe()
        let summary = try await store.store(message)
        for try await event in events {
            if event.ids.contains(summary.id) { break }
        }
        return summary
    }
}

/// Runs `body` with a fixture on a fresh store, closed and removed afterwards.
func withAPIFixture<Result>(_ body: (APIFixture) async throws -> Result) async throws -> Result {
    try await withStore { store, _ in try await body(APIFixture(store: store)) }
}

/// Runs `body` against the router, driven through HummingbirdTesting, with a fresh fixture.
func withAPI(
    webRoot: String? = nil, basicAuthentication: String? = nil, createsInboxesOnFirstUse: Bool = true,
    _ body: @Sendable (APIFixture, any TestClientProtocol) async throws -> Void
) async throws {
    try await withAPIFixture { fixture in
        let router = MailpenHTTP.makeResponderBuilder(
            fixture.dependencies(
                webRoot: webRoot, basicAuthentication: basicAuthentication,
                createsInboxesOnFirstUse: createsInboxesOnFirstUse))
        try await Application(router: router).test(.router) { client in try await body(fixture, client) }
    }
}
