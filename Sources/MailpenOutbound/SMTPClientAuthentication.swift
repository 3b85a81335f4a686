import Crypto
import Foundation

/// How a client logs in to a relay: the SASL mechanism, chosen by configuration (the client never picks a
/// weaker one on its own), and the credentials.
public struct SMTPClientAuthentication: Sendable, Hashable, CustomStringConvertible, CustomDebugStringConvertible {
    /// The SASL mechanisms the client speaks.
    public enum Mechanism: String, Sendable, Hashable, CaseIterable {
        /// RFC 4616: the credentials in one base64 response.
        case plain = "PLAIN"
        /// The username and the password, each in answer to a prompt.
        case login = "LOGIN"
        /// RFC 2195: an HMAC-MD5 of the server's challenge keyed with the password; the password is not sent.
        case cramMD5 = "CRAM-MD5"

        /// The mechanism for a configuration value such as `plain`, `login` or `cram-md5` (any case).
        public init?(name: String) {
            guard
                let mechanism = Self.allCases.first(where: { $0.rawValue.caseInsensitiveCompare(name) == .orderedSame })
            else { return nil }
            self = mechanism
        }
    }

    public var mechanism: Mechanism
    public var username: String
    public var password: String

    public init(mechanism: Mechanism, username: String, password: String) {
        self.mechanism = mechanism
        self.username = username
        self.password = password
    }

    /// Never shows the password.
    public var description: String { "AUTH \(mechanism.rawValue) as \(username)" }

    /// Never shows the password either, so `dump` and `String(reflecting:)` are safe in logs.
    public var debugDescription: String { description }

    /// The initial response of AUTH PLAIN: base64 of NUL, username, NUL, password.
    var plainResponse: String {
        Data([0] + Array(username.utf8) + [0] + Array(password.utf8)).base64EncodedString()
    }

    /// The answer to a CRAM-MD5 challenge (the challenge already base64-decoded): base64 of the username, a
    /// space and the lower-case hex HMAC-MD5 of the challenge keyed with the password.
    func cramMD5Response(challenge: [UInt8]) -> String {
        let key = SymmetricKey(data: Array(password.utf8))
        let digest = HMAC<Insecure.MD5>.authenticationCode(for: challenge, using: key)
        let hex = digest.map { byte in
            let text = String(byte, radix: 16)
            return byte < 0x10 ? "0" + text : text
        }.joined()
        return Data((username + " " + hex).utf8).base64EncodedString()
    }
}
