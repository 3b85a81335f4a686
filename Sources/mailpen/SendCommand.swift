import ArgumentParser
import Foundation
import MailpenMIME

/// `mailpen send`: composes a message and sends it to Mailpen over SMTP — handy for trying an inbox and
/// for tests.
struct SendCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "send", abstract: "Compose a message and send it to Mailpen over SMTP.")

    @Option(help: "Recipient, 'bob@example.com' or 'Bob <bob@example.com>' (repeatable).") var to: [String] = []
    @Option(help: "Carbon-copy recipient (repeatable).") var cc: [String] = []
    @Option(help: "Blind-copy recipient, in the envelope only (repeatable).") var bcc: [String] = []
    @Option(help: "Sender, 'app@example.com' or 'Shop <app@example.com>'.") var from = "mailpen@localhost"
    @Option(help: "Subject.") var subject = "Test message from mailpen send"
    @Option(help: "Plain-text body ('-' reads standard input).") var text: String?
    @Option(help: "HTML body ('@file' reads a file).") var html: String?
    @Option(help: "File to attach (repeatable).") var attach: [String] = []
    @Option(help: "Extra header 'Name: value' (repeatable).") var header: [String] = []
    @Option(help: "Deliver into this inbox (logs in with it as the SMTP username).") var inbox: String?
    @Option(help: "SMTP password for --inbox (needed with --smtp-auth strict; env: MAILPEN_PASSWORD).") var password:
        String?
    @Option(help: "Mailpen's SMTP address (env: MAILPEN_SMTP). (default: \(SMTPAddress.defaultAddress))") var smtp:
        String?

    func run() async throws {
        guard !to.isEmpty || !cc.isEmpty || !bcc.isEmpty else {
            throw ValidationError("give at least one --to, --cc or --bcc")
        }
        let sender = try Self.mailbox(from, option: "--from")
        let (toList, ccList, bccList) = (
            try to.map { try Self.mailbox($0, option: "--to") },
            try cc.map { try Self.mailbox($0, option: "--cc") },
            try bcc.map { try Self.mailbox($0, option: "--bcc") }
        )
        var composer = MessageComposer(from: sender, to: toList, cc: ccList, subject: subject)
        composer.text = try text.map(Self.readArgument)
        composer.html = try html.map(Self.readArgument)
        if composer.text == nil && composer.html == nil { composer.text = "Sent with mailpen send." }
        for path in attach {
            guard let data = FileManager.default.contents(atPath: path) else {
                throw ValidationError("cannot read \(path)")
            }
            let name = (path as NSString).lastPathComponent
            composer.attachments.append((name, MessageComposer.contentType(forFilename: name), data))
        }
        for line in header {
            guard let colon = line.firstIndex(of: ":"), colon != line.startIndex else {
                throw ValidationError("--header needs 'Name: value', not '\(line)'")
            }
            composer.extraHeaders.append(
                (String(line[..<colon]), line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)))
        }
        let (host, port) = try SMTPAddress.resolve(smtp)
        let submission = SMTPSubmission(
            host: host, port: port, inbox: inbox,
            password: password ?? ProcessInfo.processInfo.environment["MAILPEN_PASSWORD"])
        do {
            let reply = try await submission.send(
                composer.compose(), from: sender.address, to: (toList + ccList + bccList).map(\.address))
            print(TerminalText.safe(reply))
        } catch {
            printError("mailpen send: \(error)")
            throw ExitCode(1)
        }
    }

    /// One address as given on the command line, with or without a display name.
    private static func mailbox(_ text: String, option: String) throws -> MIMEAddress {
        let parsed = AddressList.parse(text)
        guard parsed.count == 1, let mailbox = parsed.first, mailbox.address.contains("@") else {
            throw ValidationError(
                "\(option) needs one address, like 'bob@example.com' or 'Bob <bob@example.com>', not '\(text)'")
        }
        return mailbox
    }

    private static func readArgument(_ value: String) throws -> String {
        if value == "-" {
            return String(decoding: FileHandle.standardInput.readDataToEndOfFile(), as: UTF8.self)
        }
        if value.hasPrefix("@") {
            let path = String(value.dropFirst())
            guard let data = FileManager.default.contents(atPath: path) else {
                throw ValidationError("cannot read \(path)")
            }
            return String(decoding: data, as: UTF8.self)
        }
        return value
    }
}
