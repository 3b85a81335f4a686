import ArgumentParser
import Foundation
import NIOCore
import NIOHTTP1

/// `mailpen inbox list|create|delete|clear`.
struct InboxCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "inbox",
        abstract: "List, create, delete or clear inboxes.",
        subcommands: [List.self, Create.self, Delete.self, Clear.self])

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List inboxes with their counts and SMTP credentials.")
        @OptionGroup var options: ServerOptions
        @Flag(help: "Print JSON.") var json = false

        func run() async throws {
            let data = try await InboxCommand.call(options) { try await $0.expectSuccess(.GET, "/api/v1/inboxes") }
            if json {
                try writeOutput(data + Data("\n".utf8))
                return
            }
            let object = try JSONSerialization.jsonObject(with: data) as? [String: Any]
            print("NAME                 TOTAL  UNREAD  SMTP USERNAME / PASSWORD")
            for inbox in object?["inboxes"] as? [[String: Any]] ?? [] {
                let smtp = inbox["smtp"] as? [String: Any] ?? [:]
                let name = (inbox["name"] as? String ?? "").padding(toLength: 20, withPad: " ", startingAt: 0)
                let total = String(inbox["total"] as? Int ?? 0).leftPadded(to: 5)
                let unread = String(inbox["unread"] as? Int ?? 0).leftPadded(to: 7)
                print(
                    "\(name) \(total) \(unread)  \(smtp["username"] as? String ?? "") / \(smtp["password"] as? String ?? "")"
                )
            }
        }
    }

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Create an inbox.")
        @OptionGroup var options: ServerOptions
        @Argument(help: "The inbox name (also its SMTP username).") var name: String
        @Option(help: "SMTP password (default: generated).") var password: String?
        @Option(name: .customLong("max-messages"), help: "Messages kept (default: the server's).") var maximumMessages:
            Int?
        @Option(help: "Recipient pattern routing mail sent without AUTH here, e.g. '*@shop.example' (repeatable).")
        var route: [String] = []

        func run() async throws {
            var body: [String: Any] = ["name": name]
            if let password { body["password"] = password }
            if let maximumMessages { body["maxMessages"] = maximumMessages }
            if !route.isEmpty { body["routes"] = route }
            let data = try JSONSerialization.data(withJSONObject: body)
            _ = try await InboxCommand.call(options) {
                try await $0.expectSuccess(.POST, "/api/v1/inboxes", body: data)
            }
            print("created inbox \(name)")
        }
    }

    struct Delete: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Delete an inbox and its mail.")
        @OptionGroup var options: ServerOptions
        @Argument(help: "The inbox name.") var name: String

        func run() async throws {
            _ = try await InboxCommand.call(options) {
                try await $0.expectSuccess(.DELETE, "/api/v1/inboxes/\(APIClient.encode(name))")
            }
            print("deleted inbox \(name)")
        }
    }

    struct Clear: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Delete every message of an inbox.")
        @OptionGroup var options: ServerOptions
        @Argument(help: "The inbox name.") var name = "default"

        func run() async throws {
            let data = try await InboxCommand.call(options) {
                try await $0.expectSuccess(.DELETE, "/api/v1/inboxes/\(APIClient.encode(name))/messages")
            }
            let deleted = (try? JSONSerialization.jsonObject(with: data) as? [String: Any])?["deleted"] as? Int ?? 0
            print("deleted \(deleted) message(s) from \(name)")
        }
    }

    /// Runs an API call, turning failures into a message and exit status 1.
    static func call(_ options: ServerOptions, _ body: (APIClient) async throws -> Data) async throws -> Data {
        do {
            return try await APIClient.with(options, body)
        } catch {
            printError("mailpen inbox: \(error)")
            throw ExitCode(1)
        }
    }
}

extension String {
    func leftPadded(to width: Int) -> String {
        count >= width ? self : String(repeating: " ", count: width - count) + self
    }
}
