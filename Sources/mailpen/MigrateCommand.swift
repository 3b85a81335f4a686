import ArgumentParser
import Foundation
import Logging
import MailpenPostgres

/// `mailpen migrate`: brings a PostgreSQL database's schema up to date without starting a server, for
/// deployments that migrate in a separate step before rolling out new nodes.
struct MigrateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "migrate",
        abstract: "Apply the PostgreSQL schema migrations and exit.",
        discussion: "`mailpen serve` applies them too, at start; nodes starting together take turns (an advisory lock)."
    )

    @Option(help: "The PostgreSQL URL, postgres://user:password@host:5432/dbname. (env: MAILPEN_DB)")
    var db: String?

    func run() async throws {
        guard let text = db ?? ProcessInfo.processInfo.environment["MAILPEN_DB"] else {
            throw ValidationError("--db postgres://user:password@host:5432/dbname (or MAILPEN_DB) is required")
        }
        let url: PostgresURL
        do {
            url = try PostgresURL(text)
        } catch {
            throw ValidationError("--db: \(error)")
        }
        let applied = try await PostgresStore.migrate(url, logger: Logger(label: "mailpen"))
        let message =
            applied.isEmpty
            ? "\(url) is up to date\n"
            : "\(url): applied migration(s) \(applied.map(String.init).joined(separator: ", "))\n"
        try? FileHandle.standardOutput.write(contentsOf: Data(message.utf8))
    }
}
