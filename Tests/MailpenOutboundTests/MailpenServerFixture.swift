import Foundation
import Logging
import Mailpen
import MailpenStore
import NIOCore

/// Mailpen's own SMTP server, in-process on ephemeral ports: the real server the client relays to in tests.
struct MailpenServerFixture {
    let server: MailpenServer
    let store: MailpenStore
    let smtpPort: Int
    let smtpsPort: Int?
    let directory: URL

    /// Runs `body` with a fresh server and stops it afterwards, whatever happens.
    static func with(
        _ configure: (inout MailpenConfiguration) -> Void = { _ in },
        _ body: (MailpenServerFixture) async throws -> Void
    ) async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent(
            "mailpen-outbound-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        var configuration = MailpenConfiguration()
        configuration.smtpPort = 0
        configuration.httpPort = 0
        configuration.databasePath = directory.appendingPathComponent("mailpen.sqlite").path
        configuration.hostname = "localhost"
        configure(&configuration)
        var logger = Logger(label: "mailpen-outbound-test")
        logger.logLevel = .warning
        let server = MailpenServer(configuration: configuration, logger: logger)
        try await server.start()
        do {
            guard let store = await server.store, let smtp = await server.smtpAddress?.port else {
                throw FixtureError.notStarted
            }
            let fixture = MailpenServerFixture(
                server: server, store: store, smtpPort: smtp, smtpsPort: await server.smtpsAddress?.port,
                directory: directory)
            try await body(fixture)
        } catch {
            await server.stop()
            throw error
        }
        await server.stop()
    }

    enum FixtureError: Error {
        case notStarted
    }
}
