import ArgumentParser
import Foundation
import MailpenMIME

/// `mailpen sendmail`: a drop-in for `/usr/sbin/sendmail` (PHP's `sendmail_path`, cron, scripts): reads
/// a message on standard input and hands it to Mailpen over SMTP. Also runs when the binary is invoked
/// under the name `sendmail`.
struct SendmailCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sendmail",
        abstract: "Read a message on standard input and send it to Mailpen (sendmail-compatible).",
        discussion: """
            Options as sendmail: -t (recipients from To, Cc and Bcc; Bcc is removed), -f ADDR or -r ADDR (envelope \
            sender), -i or -oi (a line with a single dot does not end the message), -F NAME (sender's name); other \
            sendmail options (-o…, -B…, -bm) are accepted and ignored. Recipients may follow the options. Mailpen \
            options: --smtp HOST:PORT (env MAILPEN_SMTP), --inbox NAME, --password PASSWORD.
            PHP: sendmail_path = "/usr/local/bin/mailpen sendmail -t -i"
            Exit status: 0 sent, 64 usage error, 69 refused, 75 temporary failure (try again).
            """)

    @Argument(parsing: .captureForPassthrough, help: "sendmail options and recipients")
    var arguments: [String] = []

    struct Options {
        var recipientsFromHeaders = false
        var dotEndsMessage = true
        var from: String?
        var fullName: String?
        var recipients: [String] = []
        var smtp: String?
        var inbox: String?
        var password: String?
        var showsHelp = false
    }

    static func parse(_ arguments: [String]) throws -> Options {
        var options = Options()
        var index = 0
        func value(_ flag: String, attached: Substring) throws -> String {
            if !attached.isEmpty { return String(attached) }
            index += 1
            guard index < arguments.count else { throw ValidationError("\(flag) needs a value") }
            return arguments[index]
        }
        /// One `-…` argument, which may cluster flags as sendmail's getopt allows (`-ti`, `-oi`, `-fbob@x`): a
        /// flag that takes a value takes the rest of the argument, or the next argument when nothing is left.
        func parseCluster(_ cluster: Substring) throws {
            var rest = cluster
            while let letter = rest.first {
                rest = rest.dropFirst()
                switch letter {
                case "t": options.recipientsFromHeaders = true
                case "i": options.dotEndsMessage = false
                case "v", "U", "m", "n": break  // accepted, no meaning here
                case "f", "r":
                    options.from = try value("-\(letter)", attached: rest)
                    return
                case "F":
                    options.fullName = try value("-F", attached: rest)
                    return
                case "o":
                    // -oi is -i; any other -oX option (-oem, -o option) is accepted and ignored.
                    if rest == "i" { options.dotEndsMessage = false }
                    if rest.isEmpty { _ = try value("-o", attached: "") }
                    return
                case "b", "e", "q":
                    return  // -bm, -em, -q15m: a mode with its value attached; no meaning here
                case "B", "N", "R", "V", "L", "O", "X", "h", "C":
                    _ = try value("-\(letter)", attached: rest)
                    return
                default:
                    throw ValidationError("unknown sendmail option -\(letter) in -\(cluster)")
                }
            }
        }
        var onlyRecipients = false
        while index < arguments.count {
            let argument = arguments[index]
            if onlyRecipients || !argument.hasPrefix("-") || argument == "-" {
                options.recipients += argument.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
                    .filter { !$0.isEmpty }
            } else if argument == "--" {
                onlyRecipients = true
            } else if argument.hasPrefix("--") {
                let parts = argument.split(separator: "=", maxSplits: 1).map(String.init)
                let name = parts[0]
                let attached = parts.count > 1 ? Substring(parts[1]) : ""
                switch name {
                case "--smtp": options.smtp = try value(name, attached: attached)
                case "--inbox": options.inbox = try value(name, attached: attached)
                case "--password": options.password = try value(name, attached: attached)
                case "--help": options.showsHelp = true
                default: throw ValidationError("unknown option \(name)")
                }
            } else {
                try parseCluster(argument.dropFirst())
            }
            index += 1
        }
        return options
    }

    func run() async throws {
        let options: Options
        do {
            options = try Self.parse(arguments)
        } catch {
            printError("mailpen sendmail: \(error)")
            throw ExitCode(64)
        }
        if options.showsHelp {
            print(Self.helpMessage())
            return
        }
        var message = Self.readMessage(dotEndsMessage: options.dotEndsMessage)
        var recipients = options.recipients
        let parsed = MIMEMessage(message)
        if options.recipientsFromHeaders {
            recipients += (parsed.to + parsed.cc + parsed.bcc).map(\.address)
            message = Self.removingBcc(message)
        }
        guard !recipients.isEmpty else {
            printError("mailpen sendmail: no recipients (give addresses or use -t with To/Cc/Bcc headers)")
            throw ExitCode(64)
        }
        let user = ProcessInfo.processInfo.environment["USER"] ?? "nobody"
        let from = options.from ?? parsed.from.first?.address ?? "\(user)@localhost"
        if parsed.header["From"] == nil {
            let name = options.fullName.map { "\(MessageComposer.encodedWord($0)) " } ?? ""
            message = Array("From: \(name)<\(from)>\r\n".utf8) + message
        }
        do {
            let (host, port) = try SMTPAddress.resolve(options.smtp)
            let submission = SMTPSubmission(
                host: host, port: port, inbox: options.inbox,
                password: options.password ?? ProcessInfo.processInfo.environment["MAILPEN_PASSWORD"])
            _ = try await submission.send(message, from: from, to: recipients)
        } catch let error as SMTPSubmission.Failure {
            printError("mailpen sendmail: \(error)")
            throw ExitCode(error.isTemporary ? 75 : 69)
        } catch {
            printError("mailpen sendmail: \(error)")
            throw ExitCode(75)
        }
    }

    /// Standard input with every line ending as CRLF; without -i a line of a single dot ends the message.
    static func readMessage(dotEndsMessage: Bool) -> [UInt8] {
        let input = [UInt8](FileHandle.standardInput.readDataToEndOfFile())
        var output: [UInt8] = []
        output.reserveCapacity(input.count + input.count / 32)
        var lineStart = 0
        var index = 0
        while index <= input.count {
            guard index == input.count || input[index] == 0x0A else {
                index += 1
                continue
            }
            var line = input[lineStart..<index]
            if line.last == 0x0D { line = line.dropLast() }
            if dotEndsMessage && line.elementsEqual([UInt8(ascii: ".")]) { break }
            if index < input.count || !line.isEmpty { output += line + [0x0D, 0x0A] }
            index += 1
            lineStart = index
        }
        return output
    }

    /// Whether a header line starts a `Bcc` or `Resent-Bcc` field; the name may be followed by spaces before
    /// its colon (`Bcc :`), as RFC 5322's obsolete syntax allows and mail readers accept.
    static func isBlindCopyField(_ line: ArraySlice<UInt8>) -> Bool {
        guard let colon = line.firstIndex(of: UInt8(ascii: ":")) else { return false }
        var name = line[line.startIndex..<colon]
        while let last = name.last, last == 0x20 || last == 0x09 { name = name.dropLast() }
        let lowered = String(decoding: name, as: UTF8.self).lowercased()
        return lowered == "bcc" || lowered == "resent-bcc"
    }

    /// The message without its Bcc and Resent-Bcc header fields (including folded continuation lines).
    static func removingBcc(_ message: [UInt8]) -> [UInt8] {
        var output: [UInt8] = []
        var index = 0
        var skipping = false
        while index < message.count {
            let end = message[index...].firstIndex(of: 0x0A).map { $0 + 1 } ?? message.count
            let line = message[index..<end]
            if line.first == 0x0D || line.first == 0x0A {
                output += message[index...]
                return output
            }
            let isContinuation = line.first == 0x20 || line.first == 0x09
            if !isContinuation {
                skipping = isBlindCopyField(line)
            }
            if !skipping { output += line }
            index = end
        }
        return output
    }
}
