import ArgumentParser
import Foundation
import NIOCore
import NIOHTTP1

/// `mailpen wait`: blocks until messages matching a search arrive — the one-line CI assertion.
struct WaitCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "wait",
        abstract: "Wait until messages matching a search arrive in an inbox; print them.",
        discussion:
            "Exit status: 0 when enough messages matched (they are printed), 1 on timeout, 2 on any other error.")

    @OptionGroup var options: ServerOptions

    @Option(help: "The inbox to watch.")
    var inbox = "default"

    @Option(help: "Search, e.g. 'to:bob@example.com subject:\"Reset\"'. (default: any message)")
    var query = ""

    @Option(help: "How many messages must match.")
    var count = 1

    @Option(help: "Only messages after this RFC 3339 time or message id.")
    var since: String?

    @Option(help: "Seconds to wait (at most 300).")
    var timeout: Double = 30

    @Flag(help: "Print the messages as JSON.")
    var json = false

    func validate() throws {
        guard (1...1000).contains(count) else { throw ValidationError("--count must be from 1 to 1000, not \(count)") }
        guard timeout.isFinite, (0...300).contains(timeout) else {
            throw ValidationError("--timeout must be from 0 to 300 seconds, not \(timeout)")
        }
    }

    func run() async throws {
        var path = "/api/v1/inboxes/\(APIClient.encode(inbox))/wait?count=\(count)&timeout=\(timeout)"
        if !query.isEmpty { path += "&q=\(APIClient.encode(query))" }
        if let since { path += "&since=\(APIClient.encode(since))" }
        let result: (status: Int, body: Data)
        do {
            result = try await APIClient.with(options) { client in
                try await client.request(.GET, path, timeout: .seconds(Int64(timeout.rounded(.up)) + 30))
            }
        } catch {
            printError("mailpen wait: \(error)")
            throw ExitCode(2)
        }
        switch result.status {
        case 200:
            if json {
                try writeOutput(result.body + Data("\n".utf8))
            } else {
                printSummaries(result.body)
            }
        case 408:
            printError("mailpen wait: \(APIClient.errorMessage(result.body, status: result.status))")
            throw ExitCode(1)
        default:
            printError("mailpen wait: \(APIClient.errorMessage(result.body, status: result.status))")
            throw ExitCode(2)
        }
    }

    private func printSummaries(_ body: Data) {
        guard let object = try? JSONSerialization.jsonObject(with: body) as? [String: Any],
            let messages = object["messages"] as? [[String: Any]]
        else { return }
        for message in messages {
            let from = (message["from"] as? [String: Any])?["address"] as? String ?? ""
            let subject = message["subject"] as? String ?? ""
            print(TerminalText.safe("\(message["id"] as? String ?? "")  \(from)  \(subject)"))
        }
    }
}
