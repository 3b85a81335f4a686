import Foundation
import Logging
import MailpenHTTP
import MailpenSMTPCore
import MailpenStore
import Testing

@testable import MailpenCompat

/// A store on a temporary file for the compatibility tests.
struct CompatStoreFixture {
    let store: SQLiteStore
    let directory: URL

    static func make() throws -> CompatStoreFixture {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent(
            "mailpen-compat-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let store = try SQLiteStore(configuration: .init(path: directory.appendingPathComponent("m.sqlite").path))
        return CompatStoreFixture(store: store, directory: directory)
    }

    /// Stores a message in `inbox` (created on first use), as SMTP would.
    @discardableResult
    func deliver(_ subject: String, inbox: String = "default", from: String = "alice@example.com", user: String? = nil)
        async throws -> MessageSummary
    {
        let raw =
            "From: Alice <\(from)>\r\nTo: bob@example.com\r\nSubject: \(subject)\r\nMessage-ID: <\(subject.hashValue)@x>\r\n\r\nBody of \(subject)\r\n"
        return try await store.store(
            IncomingMessage(
                inbox: inbox, raw: Array(raw.utf8),
                envelope: MessageEnvelope(
                    source: .smtp, mailFrom: from, recipients: [.init(address: "bob@example.com")],
                    heloName: "client.test",
                    authenticatedUser: user),
                inboxCreation: .withPassword("pw-\(inbox)")))
    }

    var dependencies: CompatDependencies {
        var logger = Logger(label: "test")
        logger.logLevel = .critical
        return CompatDependencies(store: store, logger: logger)
    }

    func close() async {
        try? await store.close()
        try? FileManager.default.removeItem(at: directory)
    }
}

/// Runs `body` with a fresh store, closing it afterwards.
func withCompatStore(_ body: (CompatStoreFixture) async throws -> Void) async throws {
    let fixture = try CompatStoreFixture.make()
    do {
        try await body(fixture)
    } catch {
        await fixture.close()
        throw error
    }
    await fixture.close()
}

/// The repository's `fixtures/compat` folder.
let compatFixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent().appendingPathComponent("fixtures/compat")

/// A golden file of this test target, without the line break editors leave at its end.
func golden(_ name: String) throws -> Data {
    let url = try #require(Bundle.module.url(forResource: "Golden/\(name)", withExtension: nil))
    var data = try Data(contentsOf: url)
    while data.last == UInt8(ascii: "\n") || data.last == UInt8(ascii: "\r") { data.removeLast() }
    return data
}

/// Encodes `value` as the compatibility APIs do and reads it back as a JSON object.
func jsonObject(_ value: some Encodable) throws -> Any {
    try JSONSerialization.jsonObject(with: CompatJSON.data(value), options: [.fragmentsAllowed])
}

/// The server's request context, which the routes are generic over.
typealias TestContext = MailpenRequestContext
