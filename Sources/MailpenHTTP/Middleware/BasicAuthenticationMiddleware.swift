import Foundation
import HTTPTypes
import Hummingbird
import MailpenCompat
import MailpenStore
import NIOCore

/// Reads HTTP basic credentials and decides which inboxes the request may see. The operator's pair
/// (`--ui-auth user:password`) opens every inbox; an inbox's name opens that inbox alone, on Mailpen's API
/// and the Mailpit and MailHog APIs alike, as the SMTP username names it. Its SMTP password is checked when
/// anything is protected (`--ui-auth`, or `--smtp-auth strict`); on an open server, where a request without
/// credentials sees every inbox, the name alone narrows the view, as `--smtp-auth any` takes any password.
/// With `--ui-auth`, a request without credentials gets a 401; wrong credentials always do. Health probes
/// (`/healthz`, `/livez`, `/readyz`) need none: they tell nothing about the mail. What an inbox credential
/// may reach is ``InboxAccessMiddleware``'s business.
struct BasicAuthenticationMiddleware: RouterMiddleware {
    typealias Context = MailpenRequestContext

    /// `user:password`, or `nil` when the server needs no credentials.
    let operatorCredentials: String?
    /// Whether an inbox credential's password must be the inbox's SMTP password.
    let checksInboxPasswords: Bool
    let store: any MailpenStore

    init(operatorCredentials: String?, checksInboxPasswords: Bool, store: any MailpenStore) {
        self.operatorCredentials = operatorCredentials
        // With --ui-auth, a name without its password would get round the operator's credentials.
        self.checksInboxPasswords = checksInboxPasswords || operatorCredentials != nil
        self.store = store
    }

    static let probePaths: Set<String> = ["/healthz", "/livez", "/readyz"]

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws
        -> Response
    {
        if Self.probePaths.contains(request.uri.path) { return try await next(request, context) }
        var context = context
        guard let credentials = Self.credentials(request) else {
            if operatorCredentials != nil { return Self.challenge() }
            context.inboxAccess = .everyInbox
            return try await next(request, context)
        }
        if let operatorCredentials,
            Self.constantTimeEqual(credentials.user + ":" + credentials.password, operatorCredentials)
        {
            context.inboxAccess = .everyInbox
            return try await next(request, context)
        }
        guard Inbox.isValidName(credentials.user) else { return Self.challenge() }
        let inbox = try await store.inbox(named: credentials.user)
        if checksInboxPasswords {
            guard let inbox, Self.constantTimeEqual(credentials.password, inbox.smtpPassword) else {
                return Self.challenge()
            }
        }
        context.inboxAccess = .inbox(inbox?.name ?? credentials.user)
        return try await next(request, context)
    }

    /// The user and password of a `Basic` Authorization header, if there is one that decodes.
    static func credentials(_ request: Request) -> (user: String, password: String)? {
        guard let header = request.headers[.authorization] else { return nil }
        let parts = header.split(separator: " ", maxSplits: 1)
        guard parts.count == 2, parts[0].lowercased() == "basic",
            let data = Data(base64Encoded: String(parts[1]).trimmingCharacters(in: .whitespaces)),
            let decoded = String(data: data, encoding: .utf8), let colon = decoded.firstIndex(of: ":")
        else { return nil }
        return (String(decoded[..<colon]), String(decoded[decoded.index(after: colon)...]))
    }

    static func challenge() -> Response {
        APIError.jsonResponse(
            status: .unauthorized, message: "authentication required",
            headers: [.wwwAuthenticate: "Basic realm=\"Mailpen\", charset=\"UTF-8\""])
    }

    static func constantTimeEqual(_ lhs: String, _ rhs: String) -> Bool {
        let left = Array(lhs.utf8)
        let right = Array(rhs.utf8)
        var difference: UInt8 = left.count == right.count ? 0 : 1
        for index in 0..<max(left.count, right.count) {
            difference |= (index < left.count ? left[index] : 0) ^ (index < right.count ? right[index] : 0)
        }
        return difference == 0
    }
}
