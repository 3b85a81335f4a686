import ArgumentParser
import Foundation

/// The `mailpen` command line: the server and the tools CI jobs and apps use with it.
@main
struct MailpenCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "mailpen",
        abstract: "A fake SMTP server that captures mail into inboxes you can browse and query.",
        version: MailpenVersion.current,
        subcommands: [
            Serve.self, WaitCommand.self, SendCommand.self, SendmailCommand.self, InboxCommand.self,
            ReleaseCommand.self,
            ChaosCommand.self,
            MigrateCommand.self,
            Version.self,
        ],
        defaultSubcommand: Serve.self)

    /// Runs as `mailpen sendmail` when the binary is called `sendmail` (a symlink in place of the MTA's).
    static func main() async {
        var arguments = Array(CommandLine.arguments.dropFirst())
        if (CommandLine.arguments.first.map { ($0 as NSString).lastPathComponent } ?? "") == "sendmail" {
            arguments.insert("sendmail", at: 0)
        }
        do {
            var command = try parseAsRoot(arguments)
            if var asyncCommand = command as? any AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch {
            exit(withError: error)
        }
    }
}

enum MailpenVersion {
    static let current = "0.1.0"
}

struct Version: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Print Mailpen's version.")

    func run() {
        print("mailpen \(MailpenVersion.current)")
    }
}
