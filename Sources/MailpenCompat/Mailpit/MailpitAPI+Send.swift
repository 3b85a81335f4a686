import Foundation
import Hummingbird
import MailpenSMTPCore
import MailpenStore

extension MailpitAPI {
    /// `POST /api/v1/send`: composes the message and stores it as if it came over SMTP: into the inbox of the
    /// request's credentials, else where routes or `default` put mail sent without AUTH.
    func registerSend(on router: Router<Context>) {
        router.post("api/v1/send") { request, context in
            do {
                // A cross-site form cannot send JSON without asking first: the content type is part of the guard.
                guard request.hasJSONBody else {
                    throw MailpitSendRequest.Invalid(message: "the body must be JSON (Content-Type: application/json)")
                }
                let body: LenientJSONObject
                do {
                    body = try LenientJSONObject(try await request.bodyBytes(upTo: dependencies.maximumMessageSize))
                } catch let error as LenientJSONObject.Invalid {
                    throw MailpitSendRequest.Invalid(message: error.message)
                }
                let send = try MailpitSendRequest(body)
                let raw = send.compose(
                    date: Date(), messageID: "\(UUID().uuidString.lowercased())@mailpen",
                    boundary: "mailpen-\(UUID().uuidString)")
                guard raw.count <= dependencies.maximumMessageSize else {
                    throw MailpitSendRequest.Invalid(
                        message: "message larger than the maximum of \(dependencies.maximumMessageSize) bytes")
                }
                guard send.recipients.count <= dependencies.maximumRecipients else {
                    throw MailpitSendRequest.Invalid(
                        message: "a message has at most \(dependencies.maximumRecipients) recipients")
                }
                let user = context.inboxAccess.inboxName
                let envelope = MessageEnvelope(
                    source: .http, mailFrom: send.from.email,
                    recipients: send.recipients.map { MessageEnvelope.Recipient(address: $0) },
                    clientAddress: context.remoteAddress?.ipAddress, clientPort: context.remoteAddress?.port,
                    authenticatedUser: user)
                var summary = try await dependencies.store.store(
                    IncomingMessage(
                        inbox: user ?? Inbox.defaultName, raw: raw, envelope: envelope,
                        inboxCreation: dependencies.createsInboxesOnFirstUse ? .withGeneratedPassword : .never,
                        routesByRecipient: user == nil))
                let tags = MailpitTags.cleaned(send.tags)
                if !tags.isEmpty {
                    summary = try await dependencies.store.update(id: summary.id, isRead: nil, tags: tags)
                }
                return CompatJSON.response(Mailpit.SendConfirmation(id: summary.id))
            } catch let error as MailpitSendRequest.Invalid {
                return Self.jsonError(error.message)
            } catch let error as CompatError {
                return Self.jsonError(error.message)
            } catch let error as StoreError {
                // The client's mistakes are a 400 in its words; the store's own trouble goes on to a 500.
                switch error {
                case .inboxNotFound, .invalidInboxName, .invalidTag, .tooManyTags:
                    return Self.jsonError(error.description)
                default: throw error
                }
            }
        }
    }

    /// Mailpit's send route answers its errors as `{"Error": "…"}` with a 400.
    static func jsonError(_ message: String) -> Response {
        var response = CompatJSON.response(Mailpit.JSONError(error: message))
        response.status = .badRequest
        return response
    }
}
