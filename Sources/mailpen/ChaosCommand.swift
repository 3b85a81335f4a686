import ArgumentParser
import Foundation
import NIOHTTP1

/// `mailpen chaos get|set|clear [--inbox NAME]`: the rules that make the SMTP server fail on purpose.
struct ChaosCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "chaos",
        abstract: "Show, set or clear the chaos rules (global, or one inbox's).",
        subcommands: [Get.self, Set.self, Clear.self])

    struct Scope: ParsableArguments {
        @Option(help: "The inbox whose rules these are (default: the global rules).") var inbox: String?

        var path: String {
            inbox.map { "/api/v1/inboxes/\(APIClient.encode($0))/chaos" } ?? "/api/v1/chaos"
        }
        var name: String { inbox.map { "inbox \($0)" } ?? "global" }
    }

    struct Get: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show the rules with how often each has fired.")
        @OptionGroup var options: ServerOptions
        @OptionGroup var scope: Scope
        @Flag(help: "Print JSON.") var json = false

        func run() async throws {
            let data = try await ChaosCommand.call(options) { try await $0.expectSuccess(.GET, scope.path) }
            if json {
                try writeOutput(data + Data("\n".utf8))
                return
            }
            let object = try JSONSerialization.jsonObject(with: data) as? [String: Any] ?? [:]
            let rules = object["rules"] as? [[String: Any]] ?? []
            let seed = (object["seed"] as? Int).map { "seed \($0)" } ?? "no seed"
            print("\(scope.name) chaos rules, \(seed): \(rules.count)")
            guard !rules.isEmpty else { return }
            print("STAGE    PROB  TIMES   HITS  ACTION")
            for rule in rules {
                let stage = (rule["stage"] as? String ?? "").padding(toLength: 8, withPad: " ", startingAt: 0)
                let probability = "\(rule["probability"] as? Int ?? 100)%".leftPadded(to: 4)
                let times = ((rule["times"] as? Int).map(String.init) ?? "-").leftPadded(to: 6)
                let hits = String(rule["hits"] as? Int ?? 0).leftPadded(to: 6)
                var action: [String] = []
                if let delay = rule["delayMs"] as? Int, delay > 0 { action.append("delay \(delay) ms") }
                if let reply = rule["reply"] as? String { action.append("reply \"\(reply)\"") }
                if rule["disconnect"] as? Bool == true { action.append("disconnect") }
                if let match = rule["match"] as? String { action.append("when \(match)") }
                print(TerminalText.safe("\(stage) \(probability) \(times) \(hits)  \(action.joined(separator: ", "))"))
            }
        }
    }

    struct Set: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Replace the rules.",
            discussion: """
                RULES is JSON: a list of rules, or {"seed": N, "rules": [...]}; '-' reads it from standard input.
                Example: mailpen chaos set --inbox shop '[{"stage": "rcpt", "reply": "451 4.3.0 Try later"}]'
                """)
        @OptionGroup var options: ServerOptions
        @OptionGroup var scope: Scope
        @Option(help: "Seed the rules' random draws, so that runs repeat.") var seed: Int64?
        @Argument(help: "The rules as JSON, or '-' for standard input.") var rules: String

        func run() async throws {
            let text: Data
            if rules == "-" {
                text = FileHandle.standardInput.readDataToEndOfFile()
            } else {
                text = Data(rules.utf8)
            }
            var body: [String: Any]
            switch try? JSONSerialization.jsonObject(with: text) {
            case let list as [Any]: body = ["rules": list]
            case let object as [String: Any]: body = object
            default:
                printError("mailpen chaos: RULES must be a JSON list of rules or an object with \"rules\"")
                throw ExitCode(2)
            }
            if let seed { body["seed"] = seed }
            let data = try JSONSerialization.data(withJSONObject: body)
            let answer = try await ChaosCommand.call(options) {
                try await $0.expectSuccess(.PUT, scope.path, body: data)
            }
            let count = ((try? JSONSerialization.jsonObject(with: answer) as? [String: Any])?["rules"] as? [Any])?.count
            print("set \(count ?? 0) \(scope.name) chaos rule(s)")
        }
    }

    struct Clear: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Remove the rules.")
        @OptionGroup var options: ServerOptions
        @OptionGroup var scope: Scope

        func run() async throws {
            _ = try await ChaosCommand.call(options) { try await $0.expectSuccess(.DELETE, scope.path) }
            print("cleared the \(scope.name) chaos rules")
        }
    }

    /// Runs an API call, turning failures into a message and exit status 1.
    static func call(_ options: ServerOptions, _ body: (APIClient) async throws -> Data) async throws -> Data {
        do {
            return try await APIClient.with(options, body)
        } catch {
            printError("mailpen chaos: \(error)")
            throw ExitCode(1)
        }
    }
}
