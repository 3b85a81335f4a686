/// The `links` check's result: every URL in the message's HTML and text bodies,
/// deduplicated, with where each appears and — when following was asked for — what
/// requesting it gave.
public struct LinkReport: Sendable, Codable, Equatable {
    /// Distinct URLs in order of first appearance (HTML body first, then text body).
    public var links: [Link]
    /// True when the links were requested (`status` is then set on http(s) links).
    public var followed: Bool

    public init(links: [Link], followed: Bool) {
        self.links = links
        self.followed = followed
    }

    /// One distinct URL.
    public struct Link: Sendable, Codable, Equatable {
        /// The URL as written, character references decoded and white space removed.
        public var url: String
        /// Lowercased scheme (`https`, `mailto`, `cid`), nil for relative URLs.
        public var scheme: String?
        /// Where it appears (at most 50 listed).
        public var occurrences: [Occurrence]
        /// How many times it appears.
        public var count: Int
        /// The result of requesting it; nil unless followed and the scheme is http(s).
        public var status: LinkStatus?
    }

    /// Which body a URL was found in.
    public enum Source: String, Sendable, Codable {
        case html
        case text
    }

    /// What a URL is used for.
    public enum Kind: String, Sendable, Codable {
        case link
        case image
        case stylesheet
        case font
        case media
        case form
        case frame
        case script
        case other
    }

    /// One appearance of a URL.
    public struct Occurrence: Sendable, Codable, Equatable {
        public var source: Source
        public var kind: Kind
        /// The element (`a`, `img`, `style`) for HTML; nil in text.
        public var element: String?
        /// The attribute (`href`, `src`, `srcset`, `style`) or `css` for a `<style>` sheet; nil in text.
        public var attribute: String?
        /// The line in that body (1-based).
        public var line: Int
        /// For `<a>`: its text (white space collapsed, image alt text included), at most 200 characters.
        public var text: String?
    }

    /// What requesting a URL gave.
    public struct LinkStatus: Sendable, Codable, Equatable {
        /// The final response's status code; nil when no response came.
        public var statusCode: Int?
        /// The URL that gave the final response, after redirects (JSON `finalUrl`).
        public var finalURL: String
        /// Each redirect followed, in order.
        public var redirects: [Redirect]
        /// `HEAD`, or `GET` when the server refused HEAD (405/501); `HEAD` when no request was made.
        public var method: String
        /// Why there is no final response (timeout, DNS, connection refused, too many redirects …).
        /// A link not requested says why: "refused: 127.0.0.1 is a loopback address; …" (an address
        /// the link policy refuses), "not checked: at most 200 links …", "timeout: following all
        /// links is limited to …", "not checked: cancelled".
        public var error: String?
        /// True for a final 2xx.
        public var ok: Bool
        /// Total time in milliseconds.
        public var durationMs: Int

        package init(
            statusCode: Int?,
            finalURL: String,
            redirects: [Redirect],
            method: String,
            error: String?,
            ok: Bool,
            durationMs: Int
        ) {
            self.statusCode = statusCode
            self.finalURL = finalURL
            self.redirects = redirects
            self.method = method
            self.error = error
            self.ok = ok
            self.durationMs = durationMs
        }

        private enum CodingKeys: String, CodingKey {
            case statusCode, redirects, method, error, ok, durationMs
            case finalURL = "finalUrl"
        }
    }

    /// One hop of a redirect chain.
    public struct Redirect: Sendable, Codable, Equatable {
        public var url: String
        public var statusCode: Int
        /// Where it pointed (resolved against `url`).
        public var location: String

        package init(url: String, statusCode: Int, location: String) {
            self.url = url
            self.statusCode = statusCode
            self.location = location
        }
    }
}
