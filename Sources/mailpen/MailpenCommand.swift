import ArgumentParser

/// The `mailpen` command line: the server and the tools CI jobs and apps use with it.
@main
struct MailpenCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "mailpen",
        abstract: "A fake SMTP server that captures mail into inboxes you can browse and query.",
        version: MailpenVersion.current,
        subcommands: [Serve.self, Version.self],
        defaultSubcommand: Serve.self)
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
