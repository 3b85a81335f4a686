import Crypto
import Foundation
import NIOCore

/// Credentials a client presented with AUTH, in the form the mechanism delivers them.
///
/// PLAIN and LOGIN reveal the password; CRAM-MD5 only proves knowledge of it, so checking it needs the
/// stored password (``isValid(forPassword:)``).
public enum SMTPCredentials: Sendable, Hashable {
    /// From AUTH PLAIN or AUTH LOGIN.
    case password(username: String, password: String)
    /// From AUTH CRAM-MD5 (RFC 2195): the challenge the server sent and the hex HMAC-MD5 the client returned.
    case challengeResponse(username: String, challenge: String, digest: String)

    /// The username (authentication identity).
    public var username: String {
        switch self {
        case .password(let username, _), .challengeResponse(let username, _, _):
            return username
        }
    }

    /// The name of the SASL mechanism that produced these credentials.
    public var mechanism: String {
        switch self {
        case .password: return "PLAIN/LOGIN"
        case .challengeResponse: return "CRAM-MD5"
        }
    }

    /// Whether these credentials prove knowledge of `expected`.
    public func isValid(forPassword expected: String) -> Bool {
        switch self {
        case .password(_, let password):
            return constantTimeEqual(Array(password.utf8), Array(expected.utf8))
        case .challengeResponse(_, let challenge, let digest):
            let key = SymmetricKey(data: Data(expected.utf8))
            let code = HMAC<Insecure.MD5>.authenticationCode(for: Data(challenge.utf8), using: key)
            let hex = code.map { byte in
                let digits = Array("0123456789abcdef".utf8)
                return String(decoding: [digits[Int(byte >> 4)], digits[Int(byte & 0x0F)]], as: UTF8.self)
            }.joined()
            return constantTimeEqual(Array(hex.utf8), Array(digest.lowercased().utf8))
        }
    }

    private func constantTimeEqual(_ lhs: [UInt8], _ rhs: [UInt8]) -> Bool {
        guard lhs.count == rhs.count else { return false }
        var difference: UInt8 = 0
        for index in lhs.indices { difference |= lhs[index] ^ rhs[index] }
        return difference == 0
    }
}

/// Decides whether AUTH credentials are accepted. Mailpen's server wires this to its inbox policy.
public protocol SMTPAuthenticator: Sendable {
    /// Returns whether the client may use `credentials`.
    func authenticate(_ credentials: SMTPCredentials) async -> Bool
}

/// Receives each finished transaction. The SMTP layer replies with what this returns, so the final
/// 250 goes out only after the handler has durably taken the message.
///
/// The handler is called on the session's event loop and answers with a future on it, so that a
/// handler that needs no Swift concurrency (Mailpen's store) costs no extra thread hops per message.
public protocol SMTPDeliveryHandler: Sendable {
    func deliver(_ transaction: SMTPTransaction, on eventLoop: any EventLoop) -> EventLoopFuture<SMTPDeliveryResult>
}

/// The outcome of handing a transaction to an ``SMTPDeliveryHandler``.
public enum SMTPDeliveryResult: Sendable, Hashable {
    /// Stored under `id`; the client gets `250 2.0.0 Ok: queued as <id>`.
    case accepted(id: String)
    /// Not stored; the client gets `reply` (a 4xx or 5xx).
    case rejected(SMTPReply)
}

/// Base64 helpers for SASL exchanges.
enum SASL {
    static func decode(_ text: String) -> [UInt8]? {
        if text == "=" { return [] }
        guard let data = Data(base64Encoded: text) else { return nil }
        return Array(data)
    }

    static func encode(_ text: String) -> String {
        Data(text.utf8).base64EncodedString()
    }
}
