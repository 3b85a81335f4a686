import Crypto
import Foundation

/// The `Mailpen-Signature` header: `t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">`, keyed with the
/// webhook's secret. The time inside the signed text lets a receiver refuse old, replayed requests.
public enum WebhookSignature {
    /// The header value for `body` sent at `timestamp` (whole seconds since 1970).
    public static func header(secret: String, timestamp: Int64, body: some DataProtocol) -> String {
        "t=\(timestamp),v1=\(hex(secret: secret, timestamp: timestamp, body: body))"
    }

    /// The lowercase hex HMAC-SHA256 of `"<timestamp>.<body>"`.
    public static func hex(secret: String, timestamp: Int64, body: some DataProtocol) -> String {
        var signed = Data("\(timestamp).".utf8)
        signed.append(contentsOf: body)
        let code = HMAC<SHA256>.authenticationCode(for: signed, using: SymmetricKey(data: Data(secret.utf8)))
        return code.map { byte in
            let digits = Array("0123456789abcdef".utf8)
            return String(decoding: [digits[Int(byte >> 4)], digits[Int(byte & 0x0F)]], as: UTF8.self)
        }.joined()
    }
}
