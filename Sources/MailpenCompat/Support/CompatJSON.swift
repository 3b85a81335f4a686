import Foundation
import Hummingbird
import NIOCore

/// JSON in the compatibility APIs: keys as the original servers spell them, sorted so that answers are
/// stable, times as RFC 3339 UTC with milliseconds.
enum CompatJSON {
    static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.withoutEscapingSlashes, .sortedKeys]
        return encoder
    }()

    /// `value` encoded, or `null` for a value that cannot be (it never happens with these shapes).
    static func data(_ value: some Encodable) -> Data {
        (try? encoder.encode(value)) ?? Data("null".utf8)
    }

    static func string(_ value: some Encodable) -> String {
        String(decoding: data(value), as: UTF8.self)
    }

    /// A 200 with `value` as JSON and the given content type (MailHog says `text/json`).
    static func response(_ value: some Encodable, contentType: String = "application/json") -> Response {
        Response(
            status: .ok, headers: [.contentType: contentType],
            body: .init(byteBuffer: ByteBuffer(bytes: data(value))))
    }

    /// `2026-11-29T19:46:09.355Z`.
    static func time(_ date: Date) -> String {
        date.formatted(Date.ISO8601FormatStyle(includingFractionalSeconds: true))
    }
}

/// A JSON object read the way Go's `encoding/json` reads one into a struct: field names matched without
/// regard to case, unknown fields ignored. Mailpit's and MailHog's clients rely on that leniency.
struct LenientJSONObject {
    let fields: [String: Any]

    /// Why a body is not the object expected, in the words Go's decoder would use.
    struct Invalid: Error {
        let message: String
    }

    init(_ bytes: [UInt8]) throws {
        guard !bytes.allSatisfy({ $0 == 0x20 || $0 == 0x09 || $0 == 0x0A || $0 == 0x0D }) else {
            throw Invalid(message: "EOF")
        }
        let object: Any
        do {
            object = try JSONSerialization.jsonObject(with: Data(bytes), options: [.fragmentsAllowed])
        } catch {
            throw Invalid(message: "invalid character in JSON body")
        }
        guard let fields = object as? [String: Any] else {
            throw Invalid(message: "json: cannot unmarshal \(Self.kind(of: object)) into Go value of type struct")
        }
        self.fields = fields
    }

    private func value(_ name: String) -> Any? {
        if let exact = fields[name] { return exact }
        return fields.first { $0.key.caseInsensitiveCompare(name) == .orderedSame }?.value
    }

    /// Whether the field is present and not null.
    func has(_ name: String) -> Bool {
        guard let value = value(name) else { return false }
        return !(value is NSNull)
    }

    func string(_ name: String) throws -> String? {
        guard let value = value(name), !(value is NSNull) else { return nil }
        guard let string = value as? String else { throw mismatch(name, value, "string") }
        return string
    }

    func bool(_ name: String) throws -> Bool? {
        guard let value = value(name), !(value is NSNull) else { return nil }
        guard let number = value as? NSNumber, Self.isBoolean(number) else {
            throw mismatch(name, value, "bool")
        }
        return number.boolValue
    }

    func integer(_ name: String) throws -> Int? {
        guard let value = value(name), !(value is NSNull) else { return nil }
        guard let number = value as? NSNumber, !Self.isBoolean(number),
            let integer = Int(exactly: number.doubleValue)
        else { throw mismatch(name, value, "int") }
        return integer
    }

    func strings(_ name: String) throws -> [String]? {
        guard let value = value(name), !(value is NSNull) else { return nil }
        guard let array = value as? [Any] else { throw mismatch(name, value, "[]string") }
        return try array.map { element in
            guard let string = element as? String else { throw mismatch(name, element, "string") }
            return string
        }
    }

    func object(_ name: String) throws -> LenientJSONObject? {
        guard let value = value(name), !(value is NSNull) else { return nil }
        guard let fields = value as? [String: Any] else { throw mismatch(name, value, "struct") }
        return LenientJSONObject(fields: fields)
    }

    func objects(_ name: String) throws -> [LenientJSONObject]? {
        guard let value = value(name), !(value is NSNull) else { return nil }
        guard let array = value as? [Any] else { throw mismatch(name, value, "[]struct") }
        return try array.map { element in
            guard let fields = element as? [String: Any] else { throw mismatch(name, element, "struct") }
            return LenientJSONObject(fields: fields)
        }
    }

    /// The field as an object of strings (`{"X-Header": "value"}`).
    func stringMap(_ name: String) throws -> [String: String]? {
        guard let value = value(name), !(value is NSNull) else { return nil }
        guard let map = value as? [String: Any] else { throw mismatch(name, value, "map[string]string") }
        return try map.mapValues { element in
            guard let string = element as? String else { throw mismatch(name, element, "string") }
            return string
        }
    }

    private init(fields: [String: Any]) {
        self.fields = fields
    }

    private func mismatch(_ name: String, _ value: Any, _ type: String) -> Invalid {
        Invalid(message: "json: cannot unmarshal \(Self.kind(of: value)) into Go struct field .\(name) of type \(type)")
    }

    /// JSON's `true` and `false` come back as numbers of the C type `char`; JSON numbers never do.
    private static func isBoolean(_ number: NSNumber) -> Bool {
        String(cString: number.objCType) == "c"
    }

    private static func kind(of value: Any) -> String {
        switch value {
        case is String: return "string"
        case let number as NSNumber: return isBoolean(number) ? "bool" : "number"
        case is [Any]: return "array"
        case is [String: Any]: return "object"
        default: return "null"
        }
    }
}
