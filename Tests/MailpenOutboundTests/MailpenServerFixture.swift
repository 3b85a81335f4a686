import Mailpen
import MailpenStore
import MailpenTesting

/// Mailpen's own SMTP server, in-process on ephemeral ports (a MailpenTesting server): the real server the
/// client relays to in tests.
struct MailpenServerFixture {
    let mailpen: MailpenTestServer

    var store: any MailpenStore { mailpen.store }
    var smtpPort: Int { mailpen.smtpPort }
    var smtpsPort: Int? { mailpen.smtpsPort }

    /// Runs `body` with a fresh server and stops it afterwards, whatever happens.
    static func with(
        _ configure: (inout MailpenConfiguration) -> Void = { _ in },
        _ body: (MailpenServerFixture) async throws -> Void
    ) async throws {
        try await withMailpen(configure) { mailpen in try await body(MailpenServerFixture(mailpen: mailpen)) }
    }
}
