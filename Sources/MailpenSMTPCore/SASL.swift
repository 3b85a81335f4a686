import Foundation

/// The base64 of SASL exchanges (RFC 4954 §4): strict decoding, so that a garbled response is refused
/// rather than guessed at, and `=` for an empty response.
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
