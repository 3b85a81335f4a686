/// The SASL PLAIN mechanism (RFC 4616) as POP3's AUTH and IMAP's AUTHENTICATE carry it: base64 of
/// `authzid NUL authcid NUL password`. One decoder for every mail-access protocol core.
public struct SASLPlainResponse: Sendable, Hashable {
    /// The identity to act as, when the client names one.
    public var authorizationIdentity: String?
    public var username: String
    public var password: String

    /// Decodes a PLAIN response: nil when it is not base64 or not three UTF-8 fields with a user name.
    public init?(base64 text: String) {
        guard let bytes = Self.decodeBase64(text) else { return nil }
        let fields = bytes.split(separator: 0, omittingEmptySubsequences: false)
        guard fields.count == 3,
            let authorization = String(validating: fields[0], as: UTF8.self),
            let username = String(validating: fields[1], as: UTF8.self),
            let password = String(validating: fields[2], as: UTF8.self),
            !username.isEmpty
        else { return nil }
        self.authorizationIdentity = authorization.isEmpty ? nil : authorization
        self.username = username
        self.password = password
    }

    /// Strict base64 (RFC 4648 §4, padding required); `=` alone is the empty response (RFC 5034 §4).
    public static func decodeBase64(_ text: String) -> [UInt8]? {
        if text == "=" { return [] }
        let input = Array(text.utf8)
        guard input.count % 4 == 0 else { return nil }
        var output: [UInt8] = []
        output.reserveCapacity(input.count / 4 * 3)
        var index = 0
        while index < input.count {
            var values: [UInt8] = []
            var padding = 0
            for offset in 0..<4 {
                let byte = input[index + offset]
                if byte == UInt8(ascii: "=") {
                    // Padding only in the last group, only at its end.
                    guard index + 4 == input.count, offset >= 2 else { return nil }
                    padding += 1
                    values.append(0)
                } else {
                    guard padding == 0, let value = sextet(byte) else { return nil }
                    values.append(value)
                }
            }
            output.append(values[0] << 2 | values[1] >> 4)
            if padding < 2 { output.append(values[1] << 4 | values[2] >> 2) }
            if padding < 1 { output.append(values[2] << 6 | values[3]) }
            index += 4
        }
        return output
    }

    private static func sextet(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "A")...UInt8(ascii: "Z"): return byte - UInt8(ascii: "A")
        case UInt8(ascii: "a")...UInt8(ascii: "z"): return byte - UInt8(ascii: "a") + 26
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return byte - UInt8(ascii: "0") + 52
        case UInt8(ascii: "+"): return 62
        case UInt8(ascii: "/"): return 63
        default: return nil
        }
    }
}
