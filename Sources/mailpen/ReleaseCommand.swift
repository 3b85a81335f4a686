import ArgumentParser
import Foundation
import NIOCore
import NIOHTTP1

/// `mailpen release`: sends a captured message on to a configured relay, and optionally waits for the
/// outcome, so that a CI job can check a real delivery.
struct ReleaseCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "release",
        abstract: "Release a captured message to a configured relay.",
        discussion: """
            Queues the message for the relay; without --to it goes to its envelope recipients, which only a \
            relay with allow patterns accepts. Exit status: 0 when queued (with --wait: when sent), 1 when a \
            delivery failed or --wait ran out, 2 on any other error.
            """)

    @OptionGroup var options: ServerOptions

    @Argument(help: "The message's id.")
    var id: String

    @Option(help: "The relay's name (see GET /api/v1/relays).")
    var relay: String

    @Option(help: "A recipient (repeatable). (default: the message's envelope recipients)")
    var to: [String] = []

    @Option(help: "Seconds to wait for the deliveries to finish (sent or failed); 0 returns once queued.")
    var wait: Double = 0

    @Flag(help: "Print the deliveries as JSON.")
    var json = false

    func validate() throws {
        guard wait.isFinite, (0...86_400).contains(wait) else {
            throw ValidationError("--wait must be from 0 to 86400 seconds, not \(wait)")
        }
    }

    func run() async throws {
        var request: [String: Any] = ["relay": relay]
        if !to.isEmpty { request["to"] = to }
        do {
            try await APIClient.with(options) { client in
                let body = try JSONSerialization.data(withJSONObject: request)
                let path = "/api/v1/messages/\(APIClient.encode(id))"
                var data = try await client.expectSuccess(.POST, path + "/release", body: body)
                var deliveries = Self.deliveries(data)
                let ids = Set(deliveries.compactMap { $0["id"] as? String })
                let deadline = Date().addingTimeInterval(wait)
                while wait > 0, deliveries.contains(where: { !Self.isFinished($0) }), Date() < deadline {
                    try await Task.sleep(for: .milliseconds(250))
                    data = try await client.expectSuccess(.GET, path + "/deliveries")
                    deliveries = Self.deliveries(data).filter { ids.contains($0["id"] as? String ?? "") }
                }
                if json {
                    let output = try JSONSerialization.data(
                        withJSONObject: ["deliveries": deliveries], options: [.sortedKeys, .withoutEscapingSlashes])
                    try writeOutput(output + Data("\n".utf8))
                } else {
                    for delivery in deliveries { print(Self.line(delivery)) }
                }
                let failed = deliveries.contains { $0["status"] as? String == "failed" }
                let unfinished = wait > 0 && deliveries.contains { !Self.isFinished($0) }
                if failed || unfinished { throw ExitCode(1) }
            }
        } catch let exit as ExitCode {
            throw exit
        } catch {
            printError("mailpen release: \(error)")
            throw ExitCode(2)
        }
    }

    private static func deliveries(_ data: Data) -> [[String: Any]] {
        guard let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else { return [] }
        return object["deliveries"] as? [[String: Any]] ?? []
    }

    private static func isFinished(_ delivery: [String: Any]) -> Bool {
        ["sent", "failed"].contains(delivery["status"] as? String ?? "")
    }

    private static func line(_ delivery: [String: Any]) -> String {
        let to = (delivery["to"] as? [String] ?? []).joined(separator: ",")
        let detail = delivery["lastError"] as? String ?? delivery["lastReply"] as? String ?? ""
        // The detail is an upstream server's reply or an error that quotes one: anything at all.
        return TerminalText.safe(
            "\(delivery["id"] as? String ?? "")  \(delivery["relay"] as? String ?? "")  "
                + "\(delivery["status"] as? String ?? "")  \(to)  \(detail)")
    }
}
