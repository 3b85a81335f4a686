/// A FETCH data item (RFC 3501 §6.4.5); the macros ALL, FAST and FULL are expanded by the parser.
public enum IMAPFetchAttribute: Sendable, Hashable {
    case envelope
    case flags
    case internalDate
    case rfc822
    case rfc822Header
    case rfc822Size
    case rfc822Text
    /// BODY without a section: the non-extensible BODYSTRUCTURE.
    case bodyStructure(extensible: Bool)
    case uid
    /// BODY[section]<partial> and BODY.PEEK[...]; `peek` leaves `\Seen` alone.
    case section(IMAPSection, partial: IMAPPartialRange?, peek: Bool)
}

/// The `<origin.length>` suffix of a body section fetch.
public struct IMAPPartialRange: Sendable, Hashable {
    public var origin: Int
    public var length: Int

    public init(origin: Int, length: Int) {
        self.origin = origin
        self.length = length
    }
}

/// A body section specifier (RFC 3501 §6.4.5): a part path and what to take of it.
public struct IMAPSection: Sendable, Hashable {
    /// What of the part is taken.
    public enum Text: Sendable, Hashable {
        case header
        /// HEADER.FIELDS with the field names (uppercased as sent) or, with `not`, HEADER.FIELDS.NOT.
        case headerFields([String], not: Bool)
        case text
        case mime
    }

    /// Part numbers, empty for the whole message.
    public var part: [Int]
    /// Nil for the whole part.
    public var text: Text?

    public init(part: [Int] = [], text: Text? = nil) {
        self.part = part
        self.text = text
    }

    /// The section as it is echoed in the FETCH response, e.g. `1.2.HEADER.FIELDS (SUBJECT)`.
    var specifier: String {
        var pieces = part.map(String.init)
        switch text {
        case nil: break
        case .header: pieces.append("HEADER")
        case .text: pieces.append("TEXT")
        case .mime: pieces.append("MIME")
        case .headerFields(let names, let not):
            pieces.append((not ? "HEADER.FIELDS.NOT" : "HEADER.FIELDS") + " (" + names.joined(separator: " ") + ")")
        }
        return pieces.joined(separator: ".")
    }
}
