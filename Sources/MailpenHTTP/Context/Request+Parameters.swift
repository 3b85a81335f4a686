import Foundation
import Hummingbird
import HummingbirdCore
import Logging
import MailpenChecks
import MailpenStore
import NIOCore

extension Request {
    /// All values of a query parameter, decoded as HTML forms and `URLSearchParams` encode them: `+` is a
    /// space, `%XX` a byte (so `%2B` is a plus). A value that is not valid percent-encoded UTF-8 is a 400.
    func queryValues(_ name: String) throws -> [String] {
        guard let query = uri.query, !query.isEmpty else { return [] }
        var values: [String] = []
        for pair in query.split(separator: "&", omittingEmptySubsequences: true) {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            guard Self.formDecoded(parts[0]) == name else { continue }
            guard parts.count > 1 else {
                values.append("")
                continue
            }
            guard let value = Self.formDecoded(parts[1]) else {
                throw APIError.badRequest("query parameter '\(name)' is not valid percent-encoded UTF-8: '\(parts[1])'")
            }
            values.append(value)
        }
        return values
    }

    /// The first value of a query parameter (see ``queryValues(_:)``).
    func queryValue(_ name: String) throws -> String? {
        try queryValues(name).first
    }

    private static func formDecoded(_ text: Substring) -> String? {
        text.replacingOccurrences(of: "+", with: " ").removingPercentEncoding
    }

    /// The largest JSON body a route takes.
    static let maximumJSONBodySize = 1024 * 1024

    /// The body's bytes, up to `limit`; past it a 413 saying that `what` is too large. A declared length past
    /// it is refused before the body is waited for.
    func bodyBytes(upTo limit: Int, what: String = "request body") async throws -> [UInt8] {
        let tooLarge = APIError(.contentTooLarge, "\(what) larger than the maximum of \(limit) bytes")
        if let declared = headers[.contentLength].flatMap({ Int($0) }), declared > limit { throw tooLarge }
        var buffer: ByteBuffer
        do {
            buffer = try await body.collect(upTo: limit)
        } catch is NIOTooManyBytesError {
            throw tooLarge
        }
        return buffer.readBytes(length: buffer.readableBytes) ?? []
    }

    /// The body decoded from JSON; malformed JSON or a wrong shape is a 400 that says what is wrong.
    func decodeJSON<Value: Decodable>(as type: Value.Type) async throws -> Value {
        try requireContentType(["application/json"], for: "a JSON body")
        let bytes = try await bodyBytes(upTo: Self.maximumJSONBodySize)
        do {
            return try APIJSON.decodeRequest(Value.self, from: bytes)
        } catch let error as APIError {
            throw error
        } catch let error as DecodingError {
            throw APIError.badRequest("invalid JSON body: \(DecodingErrorDescription.describe(error))")
        }
    }

    /// Refuses a body of another media type with 415. Browsers send forms and `text/plain` across origins
    /// without asking first; they cannot send these types that way, so this is part of the origin guard.
    func requireContentType(_ accepted: [String], for what: String) throws {
        let mediaType = headers[.contentType].map(Self.mediaType) ?? ""
        guard accepted.contains(mediaType) || (accepted.contains("application/json") && mediaType.hasSuffix("+json"))
        else {
            let given = mediaType.isEmpty ? "none" : mediaType
            throw APIError(
                .unsupportedMediaType,
                "\(what) needs Content-Type \(accepted.joined(separator: " or ")), not \(given)")
        }
    }

    /// `type/subtype` of a Content-Type value, lower-cased, without parameters.
    private static func mediaType(_ value: String) -> String {
        let type = value.split(separator: ";", maxSplits: 1, omittingEmptySubsequences: false).first ?? ""
        return type.trimmingCharacters(in: .whitespaces).lowercased()
    }

    /// A query parameter, or a 400 naming it when it is malformed.
    func query<Value: LosslessStringConvertible>(_ name: String, as type: Value.Type) throws -> Value? {
        guard let text = try queryValue(name) else { return nil }
        guard let value = Value(String(text)) else {
            throw APIError.badRequest("query parameter '\(name)' is not a valid \(Value.self): '\(text)'")
        }
        return value
    }

    /// Whether a flag query parameter (`?download=1`) is on; anything but `0` or `1` is a 400.
    func flag(_ name: String) throws -> Bool {
        guard let value = try queryValue(name) else { return false }
        switch value {
        case "1": return true
        case "0": return false
        default: throw APIError.badRequest("query parameter '\(name)' takes 0 or 1, not '\(value)'")
        }
    }
}
