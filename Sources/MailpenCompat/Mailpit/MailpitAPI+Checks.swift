import Foundation
import HTTPTypes
import Hummingbird
import MailpenChecks
import MailpenChecksNetwork
import MailpenMIME
import MailpenSMTPCore
import MailpenStore

extension MailpitAPI {
    /// `/api/v1/message/{ID}/html-check`, `/link-check` and `/sa-check`: Mailpen's checks in Mailpit's shapes.
    func registerChecks(on router: Router<Context>) {
        let checks = dependencies.checks
        router.get("api/v1/message/:id/html-check") { request, context in
            try await answer {
                let report = try checks.html(try await checkContext(request, context))
                guard report.hasHTML else { return PlainText.badRequest("Message does not contain HTML") }
                return CompatJSON.response(Mailpit.HTMLCheck(report, nodes: try await htmlNodeCount(request, context)))
            }
        }
        router.get("api/v1/message/:id/link-check") { request, context in
            // A GET, but it makes Mailpen send up to 200 requests: not for another site's page.
            guard !request.comesFromAnotherSite else {
                return PlainText.response(
                    .forbidden, "cross-origin request refused: only Mailpen's own pages may follow links")
            }
            return try await answer {
                let checkContext = try await checkContext(request, context)
                // Mailpit requests every link (`follow` only decides whether redirects are followed); Mailpen's
                // link requests follow redirects, within its address policy and deadline.
                return CompatJSON.response(Mailpit.LinkCheck(await checks.links(checkContext, follow: true)))
            }
        }
        router.get("api/v1/message/:id/sa-check") { request, context in
            try await answer {
                let checkContext = try await checkContext(request, context)
                do {
                    return CompatJSON.response(Mailpit.SpamAssassin(try await checks.spam(checkContext)))
                } catch let error as CheckError {
                    // Mailpit reports an unreachable spamd in the answer, not as a failed request.
                    return CompatJSON.response(
                        Mailpit.SpamAssassin(error: error.description, isSpam: false, score: 0, rules: []))
                }
            }
        }
    }

    private func checkContext(_ request: Request, _ context: Context) async throws -> CheckContext {
        CheckContext(stored: try await storedMessage(request, context))
    }

    /// Elements in the HTML body (Mailpit's `Nodes`): every start tag.
    private func htmlNodeCount(_ request: Request, _ context: Context) async throws -> Int {
        let html = Array((MIMEMessage(try await storedMessage(request, context).raw).htmlBody ?? "").utf8)
        var count = 0
        for index in html.indices.dropLast() where html[index] == UInt8(ascii: "<") {
            let next = html[index + 1]
            if (0x41...0x5A).contains(next) || (0x61...0x7A).contains(next) { count += 1 }
        }
        return count
    }
}

extension Mailpit.SpamAssassin {
    init(_ report: SpamReport) {
        self.init(
            error: "", isSpam: report.isSpam, score: report.score,
            rules: report.rules.map { Rule(name: $0.name, score: $0.score, description: $0.description) })
    }
}

extension Mailpit.LinkCheck {
    /// Every http(s) link with the status it answered; a link without an answer (or with a 4xx or 5xx) is
    /// an error.
    init(_ report: LinkReport) {
        var links: [Link] = []
        var errors = 0
        for link in report.links where ["http", "https"].contains(link.scheme?.lowercased() ?? "") {
            let code = link.status?.statusCode ?? 0
            let status: String
            if let statusCode = link.status?.statusCode {
                status = HTTPResponse.Status(code: statusCode).reasonPhrase
            } else {
                status = link.status?.error ?? "not checked"
            }
            if code == 0 || code >= 400 { errors += 1 }
            links.append(Link(url: link.url, statusCode: code, status: status))
        }
        self.init(errors: errors, links: links)
    }
}

extension Mailpit.HTMLCheck {
    /// Each feature some client does not fully support is a warning with its per-client results; the totals
    /// weigh every client result of every feature found.
    init(_ report: HTMLCompatibilityReport, nodes: Int) {
        var platforms: [String: Set<String>] = [:]
        var warnings: [Warning] = []
        var counts = (supported: 0, partial: 0, unsupported: 0)
        for feature in report.features {
            counts.supported += feature.supported
            counts.partial += feature.partial
            counts.unsupported += feature.unsupported
            var notes: [String: String] = [:]
            var results: [Result] = []
            for client in feature.clients {
                platforms[client.familyName, default: []].insert(client.platformName)
                let support: String
                switch client.support {
                case .supported, .unknown: continue
                case .partial: support = "partial"
                case .unsupported: support = "no"
                }
                var noteNumber = ""
                if let note = client.notes.first {
                    noteNumber = notes.first { $0.value == note }?.key ?? String(notes.count + 1)
                    notes[noteNumber] = note
                }
                results.append(
                    Result(
                        name: "\(client.familyName) \(client.platformName) \(client.version)",
                        family: client.familyName,
                        platform: client.platform, version: client.version, support: support, noteNumber: noteNumber))
            }
            guard !results.isEmpty else { continue }
            let score = Self.percentages(feature.supported, feature.partial, feature.unsupported)
            warnings.append(
                Warning(
                    slug: feature.slug, title: feature.title, description: feature.notes ?? "",
                    category: feature.category,
                    url: feature.url, keywords: "", tags: [], notesByNumber: notes, results: results,
                    score: Score(found: feature.occurrences, supported: score.0, partial: score.1, unsupported: score.2)
                ))
        }
        let total = Self.percentages(counts.supported, counts.partial, counts.unsupported)
        self.init(
            platforms: platforms.mapValues { $0.sorted() },
            total: Total(
                nodes: nodes, tests: report.features.count, supported: total.0, partial: total.1, unsupported: total.2),
            warnings: warnings)
    }

    private static func percentages(_ supported: Int, _ partial: Int, _ unsupported: Int) -> (Double, Double, Double) {
        let all = Double(supported + partial + unsupported)
        guard all > 0 else { return (100, 0, 0) }
        return (Double(supported) * 100 / all, Double(partial) * 100 / all, Double(unsupported) * 100 / all)
    }
}
