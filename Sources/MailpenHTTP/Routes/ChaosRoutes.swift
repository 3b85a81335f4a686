import Foundation
import Hummingbird
import MailpenChaos
import MailpenCompat
import MailpenStore

/// `/api/v1/chaos` and `/api/v1/inboxes/{inbox}/chaos`: the rules that make the SMTP server fail on
/// purpose, read with their counters, set whole and cleared. With Mailpit's API served, `/api/v1/chaos` also
/// takes Mailpit's trigger set (`{"Sender": {"ErrorCode": 451, "Probability": 5}, …}`) and shows the triggers
/// the global rules amount to beside them, so that Mailpit's clients work unchanged.
struct ChaosRoutes {
    let dependencies: MailpenHTTP.Dependencies

    func register(on group: RouterGroup<MailpenRequestContext>) {
        // Mailpit's API answers this path itself when it has no chaos rules to map its triggers onto.
        if dependencies.mailpitAPI == nil || dependencies.mailpitAPI?.chaos != nil {
            group.get("chaos") { _, _ in try await read(inbox: nil) }
            group.put("chaos") { request, context in try await set(request, context: context, inbox: nil) }
        }
        group.delete("chaos") { _, context in
            try Self.requireOperator(context)
            return try await clear(inbox: nil)
        }
        group.get("inboxes/:inbox/chaos") { _, context in try await read(inbox: try context.pathParameter("inbox")) }
        group.put("inboxes/:inbox/chaos") { request, context in
            try await set(request, context: context, inbox: try context.pathParameter("inbox"))
        }
        group.delete("inboxes/:inbox/chaos") { _, context in
            try await clear(inbox: try context.pathParameter("inbox"))
        }
    }

    private var chaos: ChaosRules {
        get throws {
            guard let chaos = dependencies.chaos else {
                throw APIError(.notImplemented, "this server does not keep chaos rules")
            }
            return chaos
        }
    }

    private var speaksMailpit: Bool { dependencies.mailpitAPI != nil }

    private func read(inbox: String?) async throws -> ChaosResource {
        resource(try await chaos.rules(inbox: inbox), inbox: inbox)
    }

    private func resource(_ rules: ChaosRuleSet?, inbox: String?) -> ChaosResource {
        var resource = ChaosResource(rules, inbox: inbox)
        if inbox == nil, speaksMailpit { resource.mailpit = MailpitChaos.triggers(of: rules) }
        return resource
    }

    private func set(_ request: Request, context: MailpenRequestContext, inbox: String?) async throws -> Response {
        if inbox == nil { try Self.requireOperator(context) }
        let chaos = try self.chaos
        let bytes = try await request.bodyBytes(upTo: Request.maximumJSONBodySize)
        // Mailpit's clients send its trigger set, or (to reset) `{}`, and its errors come back for a body that
        // is not JSON at all.
        let isJSON = (try? request.requireContentType(["application/json"], for: "a JSON body")) != nil
        if inbox == nil, speaksMailpit, MailpitChaos.isTriggerBody(bytes) || !isJSON {
            let rules: ChaosRuleSet
            do {
                rules = try MailpitChaos.ruleSet(fromBody: bytes)
            } catch {
                // Mailpit answers a bad trigger set with its reason as plain text.
                return Response(
                    status: .badRequest, headers: [.contentType: "text/plain"],
                    body: .init(byteBuffer: ByteBuffer(string: error.description)))
            }
            // Mailpit's triggers, with the rules they became beside them.
            return try resource(try await chaos.set(rules), inbox: nil).response(from: request, context: context)
        }
        try request.requireContentType(["application/json"], for: "a JSON body")
        let parsed: ChaosRequest
        do {
            parsed = try APIJSON.decodeRequest(ChaosRequest.self, from: bytes)
        } catch let error as DecodingError {
            throw APIError.badRequest("invalid JSON body: \(DecodingErrorDescription.describe(error))")
        }
        let rules = try parsed.ruleSet(inbox: inbox, limits: chaos.limits)
        return try resource(try await chaos.set(rules), inbox: inbox).response(from: request, context: context)
    }

    /// The global rules fail every inbox's SMTP sessions: an inbox credential may read them, not change them.
    /// (The path is Mailpit's too, so the inbox-access middleware leaves the check to this route.)
    private static func requireOperator(_ context: MailpenRequestContext) throws {
        if let reason = context.inboxAccess.refusalReason { throw APIError(.forbidden, reason) }
    }

    private func clear(inbox: String?) async throws -> Response {
        try await chaos.clear(inbox: inbox)
        return Response(status: .noContent)
    }
}
