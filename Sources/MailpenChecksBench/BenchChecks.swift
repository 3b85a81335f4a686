// Times the four message checks (spam with the built-in engine, html, links without
// following, lint) on the 100 KB newsletter fixture, each from the raw bytes as an API
// request would run it; the sum of their medians must stay under 50 ms. `make bench-checks`
// runs the release build.
//
// Usage: bench-checks <repository root> [--json PATH] [--iterations N]
import Foundation
import MailpenChecks
import MailpenMIME

@main
struct BenchChecks {
    static func main() throws {
        var arguments = Array(CommandLine.arguments.dropFirst())
        guard let root = arguments.first else {
            print("usage: bench-checks <repository root> [--json PATH] [--iterations N]")
            exit(2)
        }
        arguments.removeFirst()
        var jsonPath: String? = nil
        var iterations = 50
        while let flag = arguments.first {
            arguments.removeFirst()
            let value = arguments.isEmpty ? nil : arguments.removeFirst()
            switch (flag, value) {
            case ("--json", let path?): jsonPath = path
            case ("--iterations", let count?): iterations = max(1, Int(count) ?? iterations)
            default:
                print("unknown argument \(flag)")
                exit(2)
            }
        }
        let rootURL = URL(fileURLWithPath: root)
        let raw = Array(
            try Data(contentsOf: rootURL.appendingPathComponent("fixtures/checks/messages/newsletter-100k.eml"))
        )
        let database = try CanIEmailDatabase(
            contentsOf: rootURL.appendingPathComponent("Sources/MailpenChecks/Resources/caniemail.json")
        )
        let checks = MessageChecks(caniemail: database)
        let encoder = JSONEncoder()

        // Each check parses the message itself and encodes its JSON, like one API request.
        let runs: [(String, () throws -> Int)] = [
            ("spam", { try encoder.encode(checks.builtinSpam(CheckContext(raw: raw))).count }),
            ("html", { try encoder.encode(try checks.html(CheckContext(raw: raw))).count }),
            ("links", { try encoder.encode(checks.links(CheckContext(raw: raw))).count }),
            ("lint", { try encoder.encode(checks.lint(CheckContext(raw: raw))).count }),
        ]
        let clock = ContinuousClock()
        var medians: [String: Double] = [:]
        var p95s: [String: Double] = [:]
        for (name, run) in runs {
            _ = try run()  // warm-up
            var samples: [Double] = []
            for _ in 0..<iterations {
                var size = 0
                let elapsed = try clock.measure { size = try run() }
                precondition(size > 0)
                samples.append(
                    Double(elapsed.components.attoseconds) / 1e15 + Double(elapsed.components.seconds) * 1000
                )
            }
            samples.sort()
            medians[name] = samples[samples.count / 2]
            p95s[name] = samples[min(samples.count - 1, samples.count * 95 / 100)]
        }
        let total = medians.values.reduce(0, +)
        let htmlBytes = MIMEMessage(raw).htmlBody?.utf8.count ?? 0
        for (name, _) in runs {
            print(
                String(
                    format: "%-6@ median %7.2f ms   p95 %7.2f ms",
                    name as NSString,
                    medians[name] ?? 0,
                    p95s[name] ?? 0
                )
            )
        }
        print(
            String(
                format: "all four (sum of medians) %.2f ms on a %d-byte HTML body (target < 50 ms)",
                total,
                htmlBytes
            )
        )
        if let jsonPath {
            let result: [String: Any] = [
                "fixture": "fixtures/checks/messages/newsletter-100k.eml",
                "htmlBytes": htmlBytes,
                "iterations": iterations,
                "medianMs": medians,
                "p95Ms": p95s,
                "totalMs": total,
                "targetMs": 50,
                "passed": total < 50,
            ]
            let data = try JSONSerialization.data(withJSONObject: result, options: [.prettyPrinted, .sortedKeys])
            try data.write(to: URL(fileURLWithPath: jsonPath))
        }
        if total >= 50 {
            exit(1)
        }
    }
}
