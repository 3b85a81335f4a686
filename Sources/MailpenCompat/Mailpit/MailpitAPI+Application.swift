import Foundation
import Hummingbird
import MailpenOutbound
import MailpenRelay

extension MailpitAPI {
    /// `/api/v1/info`, `/api/v1/webui`, `/api/v1/chaos`, `/livez` and `/readyz`.
    func registerApplication(on router: Router<Context>) {
        router.get("api/v1/info") { _, context in
            try await answer {
                let visible = visible(context)
                let totals = try await visible.totals()
                // The database and the SMTP counters are the whole server's: an inbox credential sees neither.
                let isOperator = context.inboxAccess.inboxName == nil
                let path = isOperator ? dependencies.databasePath : ""
                let size =
                    isOperator
                    ? (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? NSNumber)?.intValue ?? 0 : 0
                let uptime = max(0, Int(Date().timeIntervalSince(dependencies.startedAt)))
                let counts = isOperator ? dependencies.runtimeCounters?.runtimeCounts() : nil
                return CompatJSON.response(
                    Mailpit.AppInformation(
                        version: dependencies.version, latestVersion: dependencies.version, database: path,
                        databaseSize: size, messages: totals.total, unread: totals.unread,
                        tags: try await visible.tagCounts(),
                        runtimeStats: .init(counts ?? RuntimeCounts(), uptime: uptime, memory: Self.residentMemory())))
            }
        }
        // Mailpit's clients read `MessageRelay.Enabled` to know whether release works: it does through the
        // first configured relay. Mailpen's recipient patterns are globs, not Mailpit's regular expressions,
        // so they are left out.
        let relay = dependencies.relays?.configuration.relays.first?.target
        let relayServer = relay.map { ($0.host.contains(":") ? "[\($0.host)]" : $0.host) + ":\($0.port)" } ?? ""
        router.get("api/v1/webui") { _, _ in
            CompatJSON.response(
                Mailpit.WebUIConfiguration(
                    label: "",
                    messageRelay: .init(
                        enabled: relay != nil, smtpServer: relayServer, returnPath: relay?.mailFrom ?? "",
                        allowedRecipients: "", blockedRecipients: "", overrideFrom: "", preserveMessageIDs: false),
                    spamAssassin: dependencies.usesSpamAssassin, chaosEnabled: dependencies.chaos != nil,
                    duplicatesIgnored: false,
                    hideDeleteAllButton: false))
        }
        // With chaos rules kept, Mailpen's own chaos routes answer this path, Mailpit's triggers included.
        if dependencies.chaos == nil { MailpitChaosRoutes<Context>().register(on: router) }
        router.get("livez") { _, _ in Response(status: .ok) }
        router.get("readyz") { _, _ in Response(status: .ok) }
    }

    /// The process's resident memory in bytes (Linux), or 0.
    static func residentMemory() -> Int {
        guard let statm = try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8),
            let pages = statm.split(separator: " ").dropFirst().first.flatMap({ Int($0) })
        else { return 0 }
        let (bytes, overflow) = pages.multipliedReportingOverflow(by: 4096)
        return overflow ? 0 : bytes
    }
}

/// `GET` and `PUT /api/v1/chaos` as a Mailpit without chaos answers them: 400 `Chaos is not enabled`, whatever
/// the body: for a store that keeps no chaos rules. Otherwise Mailpen's chaos routes share the path, and
/// ``isMailpitBody(_:)`` tells Mailpit's trigger set (`Authentication`, `Recipient`, `Sender`) from theirs.
struct MailpitChaosRoutes<Context: CompatRequestContext>: Sendable {
    func register(on router: Router<Context>) {
        router.get("api/v1/chaos") { _, _ in PlainText.badRequest("Chaos is not enabled") }
        router.put("api/v1/chaos") { request, _ in
            _ = try await request.bodyBytes()
            return PlainText.badRequest("Chaos is not enabled")
        }
    }

    /// Whether a body is Mailpit's trigger set: an object whose fields are only Mailpit's trigger names.
    static func isMailpitBody(_ bytes: [UInt8]) -> Bool {
        MailpitChaos.isTriggerBody(bytes)
    }
}
