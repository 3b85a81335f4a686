import Foundation
import Hummingbird
import NIOCore

/// The request context of Mailpen's HTTP API: JSON in and out with RFC 3339 millisecond dates, and the
/// route that matched, for metrics.
public struct MailpenRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    /// The client's address, recorded in the envelope of messages ingested over HTTP.
    public let remoteAddress: SocketAddress?

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        remoteAddress = source.channel.remoteAddress
    }

    public var requestDecoder: JSONDecoder { APIJSON.decoder }
    public var responseEncoder: JSONEncoder { APIJSON.encoder }
    /// Raw messages may be large; the ingest route checks the configured limit itself.
    public var maxUploadSize: Int { 64 * 1024 * 1024 }
}

/// The API's JSON coders.
enum APIJSON {
    static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .custom { date, encoder in
            var container = encoder.singleValueContainer()
            try container.encode(RFC3339.string(from: date))
        }
        encoder.outputFormatting = [.withoutEscapingSlashes]
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
}

/// RFC 3339 UTC times with milliseconds, the API's only time format.
enum RFC3339 {
    private static let format = Date.ISO8601FormatStyle(includingFractionalSeconds: true, timeZone: .gmt)

    static func string(from date: Date) -> String {
        format.format(date)
    }

    /// Parses RFC 3339 with or without fractional seconds, with `Z` or an offset.
    static func date(from text: String) -> Date? {
        if let date = try? format.parse(text) { return date }
        return try? Date.ISO8601FormatStyle(timeZone: .gmt).parse(text)
    }
}
