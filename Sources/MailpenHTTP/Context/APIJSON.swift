import Foundation
import Hummingbird
import NIOCore

#if canImport(Glibc)
    import Glibc
#endif

/// The API's JSON coders.
enum APIJSON {
    static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .custom { date, encoder in
            var container = encoder.singleValueContainer()
            try container.encode(RFC3339.string(from: date))
        }
        encoder.outputFormatting = [.withoutEscapingSlashes, .sortedKeys]
        return encoder
    }()

    static let decoder: JSONDecoder = {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .custom { decoder in
            let container = try decoder.singleValueContainer()
            let text = try container.decode(String.self)
            guard let date = RFC3339.date(from: text) else {
                throw DecodingError.dataCorruptedError(in: container, debugDescription: "not an RFC 3339 time: \(text)")
            }
            return date
        }
        return decoder
    }()

    /// Decodes a request body. Every number in the API's request bodies is a whole one (counts, seconds,
    /// percentages, seeds), and the API's description says `integer`; Foundation's decoder would take `0.0`
    /// or `1e3` for one, so such a number under one of ``wholeNumberFields`` is refused first. (Other members
    /// are left to the decoder: the global chaos route also reads bodies meant for Mailpit's API.)
    static func decodeRequest<Value: Decodable>(_ type: Value.Type, from bytes: [UInt8]) throws -> Value {
        let data = Data(bytes)
        let tree = try? JSONSerialization.jsonObject(with: data, options: [.fragmentsAllowed])
        if let number = firstNumberNotWhole(in: tree) {
            throw APIError.badRequest("invalid JSON body: numbers here are whole numbers in range, not \(number)")
        }
        return try decoder.decode(Value.self, from: data)
    }

    /// The numeric fields of the API's request bodies, at any depth.
    static let wholeNumberFields: Set<String> = [
        "maxMessages", "maxAgeSeconds", "seed", "probability", "times", "delayMs", "hits",
    ]

    /// The first value of one of ``wholeNumberFields`` in `value` that JSONSerialization read as a floating-point
    /// number: written with a fraction or an exponent, or past 64 bits.
    private static func firstNumberNotWhole(in value: Any?) -> String? {
        switch value {
        case let object as [String: Any]:
            for (name, member) in object {
                if wholeNumberFields.contains(name), let number = member as? NSNumber, isFloatingPoint(number) {
                    return number.stringValue
                }
                if let found = firstNumberNotWhole(in: member) { return found }
            }
        case let array as [Any]:
            for element in array {
                if let found = firstNumberNotWhole(in: element) { return found }
            }
        default:
            break
        }
        return nil
    }

    private static func isFloatingPoint(_ number: NSNumber) -> Bool {
        let type = String(cString: number.objCType)
        return type == "d" || type == "f"
    }
}
