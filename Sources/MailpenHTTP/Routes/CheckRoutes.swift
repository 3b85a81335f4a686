import Foundation
import Hummingbird
import Logging
import MailpenChecks
import MailpenChecksNetwork
import MailpenCompat
import MailpenMIME
import MailpenSMTPCore
import MailpenStore

/// `/api/v1/messages/{id}/checks/{spam,html,links,lint}`: what a sender wants to know before real users
/// see the mail.
struct CheckRoutes {
    let dependencies: MailpenHTTP.Dependencies

    func register(on group: RouterGroup<MailpenRequestContext>) {
        let checks = dependencies.checks
        group.get("messages/:id/checks/spam") { _, context in
            let checkContext = try await self.checkContext(context)
            do {
                return JSONBody(try await checks.spam(checkContext))
            } catch CheckError.tooLargeForSpamd(let reason) {
                throw APIError(.unprocessableContent, reason)
            } catch let error as CheckError {
                throw APIError(.badGateway, error.description)
            }
        }
        group.get("messages/:id/checks/html") { _, context in
            let checkContext = try await self.checkContext(context)
            do {
                return JSONBody(try checks.html(checkContext))
            } catch let error as CheckError {
                // Only a binary installed without its resources: where it looked is for the log, not the client.
                context.logger.error("the HTML check cannot run: \(error)")
                throw APIError(
                    .internalServerError,
                    "the HTML check cannot run: its data (caniemail.json) is missing or unreadable in this installation; see the server log"
                )
            }
        }
        group.get("messages/:id/checks/links") { request, context in
            let checkContext = try await self.checkContext(context)
            if try request.flag("follow") {
                // A GET, but it makes Mailpen send up to 200 requests: not for another site's page. Checked
                // here rather than by path in the guard, which a trailing slash would get around.
                if let refusal = BrowserGuardMiddleware<MailpenRequestContext>.crossOriginRefusal(
                    BrowserRequestFacts(request))
                {
                    throw APIError(.forbidden, refusal)
                }
                // Following takes up to its deadline; a client that hangs up cancels it.
                let report = await ClientHangUp.cancelling(on: context.channel) {
                    await checks.links(checkContext, follow: true)
                }
                return JSONBody(report)
            }
            return JSONBody(checks.links(checkContext))
        }
        group.get("messages/:id/checks/lint") { _, context in
            JSONBody(checks.lint(try await self.checkContext(context)))
        }
    }

    private func checkContext(_ context: MailpenRequestContext) async throws -> CheckContext {
        let id = try context.pathParameter("id")
        guard let stored = try await dependencies.store.message(id: id) else { throw StoreError.messageNotFound(id) }
        return CheckContext(stored: stored)
    }
}
