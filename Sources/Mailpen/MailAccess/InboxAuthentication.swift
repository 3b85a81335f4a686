import Logging
import MailpenStore

/// Decides whether a client may use an inbox, the same way for SMTP AUTH, POP3 and IMAP: the username
/// names the inbox; under `strict` the inbox must exist and the client must prove its password; under `any`
/// every password is accepted and a missing inbox is created (with the password the client gave, if any).
struct InboxAuthentication: Sendable {
    let store: any MailpenStore
    let policy: MailpenConfiguration.AuthenticationPolicy
    let logger: Logger

    /// `proves` checks the client's proof against the inbox's password; `givenPassword` is the password if
    /// the mechanism revealed it. `mechanism` names the protocol in log lines. Throws when the store cannot
    /// answer: the protocols then say "try again later", not "wrong password".
    func authenticate(
        username: String, givenPassword: String?, mechanism: String, proves: (String) -> Bool
    ) async throws -> Bool {
        guard Inbox.isValidName(username) else {
            logger.info("\(mechanism) login refused: '\(LogText.escaped(username))' is not a valid inbox name")
            return false
        }
        do {
            let existing = try await store.inbox(named: username)
            switch policy {
            case .strict:
                guard let existing else { return false }
                return proves(existing.smtpPassword)
            case .any:
                if existing == nil {
                    var password = Inbox.makePassword()
                    if let givenPassword, !givenPassword.isEmpty { password = givenPassword }
                    do {
                        _ = try await store.createInbox(named: username, password: password)
                    } catch StoreError.inboxExists {
                        // Another session created it first.
                    }
                }
                return true
            }
        } catch {
            logger.error("\(mechanism) login could not be checked: \(error)")
            throw error
        }
    }

    /// A login with a plaintext password (POP3 USER/PASS and SASL PLAIN, IMAP LOGIN and SASL PLAIN). An
    /// authorization identity other than the user itself is refused: one inbox cannot act as another.
    func authenticate(
        username: String, password: String, authorizationIdentity: String?, mechanism: String
    ) async throws -> Bool {
        if let authorizationIdentity, authorizationIdentity.lowercased() != username.lowercased() {
            logger.info("\(mechanism) login refused: '\(LogText.escaped(username))' cannot act as another inbox")
            return false
        }
        return try await authenticate(username: username, givenPassword: password, mechanism: mechanism) {
            PasswordComparison.matches(password, $0)
        }
    }
}

/// Compares passwords in time that does not depend on where they differ.
enum PasswordComparison {
    static func matches(_ given: String, _ expected: String) -> Bool {
        let lhs = Array(given.utf8)
        let rhs = Array(expected.utf8)
        guard lhs.count == rhs.count else { return false }
        var difference: UInt8 = 0
        for index in lhs.indices { difference |= lhs[index] ^ rhs[index] }
        return difference == 0
    }
}
