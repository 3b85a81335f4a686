/// A parsed Content-Type (RFC 2045 §5): what a part is and how to read it.
///
/// Types are lowercased so callers compare with `==`; parameters are decoded
/// (RFC 2231 joined, encoded words in `name` decoded) so callers never see wire syntax.
public struct MIMEContentType: Sendable, Hashable {
    /// Lowercased top-level type, e.g. `text`.
    public var type: String
    /// Lowercased subtype, e.g. `html`.
    public var subtype: String
    /// Lowercased parameter names → decoded values.
    public var parameters: [String: String]

    public init(type: String, subtype: String, parameters: [String: String] = [:]) {
        self.type = type
        self.subtype = subtype
        self.parameters = parameters
    }

    /// `type/subtype`, e.g. `text/html`.
    public var mimeType: String {
        "\(self.type)/\(self.subtype)"
    }

    /// The RFC 2045 default, `text/plain; charset=us-ascii`.
    public static let textPlain = MIMEContentType(type: "text", subtype: "plain")
    /// The default inside `multipart/digest` (RFC 2046 §5.1.5).
    public static let messageRFC822 = MIMEContentType(type: "message", subtype: "rfc822")

    /// Parses a Content-Type value (unfolded, not RFC 2047-decoded); nil when the
    /// `type/subtype` token is not valid, in which case RFC 2045 says to assume text/plain.
    public static func parse(_ value: String) -> MIMEContentType? {
        let list = ParameterList(parsing: value)
        guard let (type, subtype) = list.mediaType else {
            return nil
        }
        return MIMEContentType(type: type, subtype: subtype, parameters: list.parameters)
    }

    var isMultipart: Bool { self.type == "multipart" }
    var isText: Bool { self.type == "text" }

    /// True for types whose body is itself a message to be parsed (RFC 2046 §5.2.1, RFC 6532).
    var isEncapsulatedMessage: Bool {
        self.type == "message" && (self.subtype == "rfc822" || self.subtype == "global")
    }
}
