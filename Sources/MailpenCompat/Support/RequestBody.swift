import Foundation
import HTTPTypes
import Hummingbird
import NIOCore

/// Reading requests the way the compatibility routes need.
extension Request {
    /// The body's bytes, up to `limit`; a larger body is a 413.
    func bodyBytes(upTo limit: Int = 1024 * 1024) async throws -> [UInt8] {
        var buffer: ByteBuffer
        do {
            buffer = try await body.collect(upTo: limit)
        } catch {
            throw CompatError(status: .contentTooLarge, message: "request body larger than \(limit) bytes")
        }
        return buffer.readBytes(length: buffer.readableBytes) ?? []
    }

    /// The first value of a query parameter, decoded as Go's `url.Query()` decodes it (`+` is a space);
    /// a value that is not valid percent-encoding reads as empty, as Go drops it.
    func queryParameter(_ name: String) -> String? {
        guard let query = uri.query, !query.isEmpty else { return nil }
        for pair in query.split(separator: "&", omittingEmptySubsequences: true) {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            guard Self.formDecoded(parts[0]) == name else { continue }
            return parts.count > 1 ? (Self.formDecoded(parts[1]) ?? "") : ""
        }
        return nil
    }

    private static func formDecoded(_ text: Substring) -> String? {
        text.replacingOccurrences(of: "+", with: " ").removingPercentEncoding
    }

    /// `type/subtype` of the Content-Type, lower-cased, or empty.
    var mediaType: String {
        guard let value = headers[.contentType] else { return "" }
        let type = value.split(separator: ";", maxSplits: 1, omittingEmptySubsequences: false).first ?? ""
        return type.trimmingCharacters(in: .whitespaces).lowercased()
    }

    /// Whether a browser says another site's page made the request (`Sec-Fetch-Site` other than
    /// `same-origin` or `none`); clients outside browsers send no such header.
    var comesFromAnotherSite: Bool {
        guard let site = headers.first(where: { $0.name.canonicalName == "sec-fetch-site" })?.value.lowercased() else {
            return false
        }
        return site != "same-origin" && site != "none"
    }

    /// Whether the body is declared JSON (`application/json` or `…+json`).
    var hasJSONBody: Bool {
        mediaType == "application/json" || mediaType.hasSuffix("+json")
    }
}

/// A failure answered as plain text with its status, as Mailpit and MailHog answer theirs.
struct CompatError: Error {
    var status: HTTPResponse.Status
    var message: String
}

/// Plain-text answers in Mailpit's and MailHog's words.
enum PlainText {
    static func response(_ status: HTTPResponse.Status, _ text: String, contentType: String = "text/plain") -> Response
    {
        Response(
            status: status, headers: [.contentType: contentType], body: .init(byteBuffer: ByteBuffer(string: text)))
    }

    /// Mailpit's `ok`.
    static var ok: Response { response(.ok, "ok") }
    /// Mailpit's (and Go's) `404 page not found`.
    static var notFound: Response { response(.notFound, "404 page not found") }
    /// Mailpit's 400 with the reason as text.
    static func badRequest(_ message: String) -> Response { response(.badRequest, message) }
}
