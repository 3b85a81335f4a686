/// One entity of the MIME tree: the message itself, a multipart container, a body
/// part, or an encapsulated message.
///
/// Parts hold metadata and byte ranges only; bodies are decoded on demand through
/// `MIMEMessage`, so parsing stays cheap on the SMTP hot path.
///
/// Part ids follow IMAP section numbers (RFC 3501 §6.4.5): the children of the
/// top-level multipart are `1`, `2`, …; their children `1.1`, `1.2`, …; a
/// non-multipart message body is `1`. The top-level multipart itself, which IMAP
/// does not number, is `0`. A `message/rfc822` part `N` has one child, the
/// encapsulated message, whose parts are numbered from `N` as IMAP does (`N.1`, …);
/// if that message is multipart its container is `N.0`, otherwise its body is `N.1`.
/// A multipart whose boundary never occurs has no children and is numbered like a
/// body (`1`, `N.1`).
public struct MIMEPart: Sendable {
    /// IMAP-style section number, see the type documentation.
    public var id: String
    /// The part's own header block (for the root: the message header).
    public var header: MIMEHeader
    /// Declared or default content type (text/plain, or message/rfc822 inside a digest).
    public var contentType: MIMEContentType
    /// Lowercased Content-Transfer-Encoding, default `7bit`.
    public var transferEncoding: String
    /// Lowercased charset parameter, nil when not declared.
    public var charset: String?
    /// Lowercased Content-Disposition type (`inline`, `attachment`), nil when absent.
    public var disposition: String?
    /// File name from Content-Disposition `filename`, else Content-Type `name`; decoded.
    public var filename: String?
    /// Content-ID without angle brackets.
    public var contentID: String?
    /// Multipart children, or the encapsulated message's root for message/rfc822.
    public var children: [MIMEPart]
    /// Byte range of the still-encoded body within the raw message.
    public var bodyRange: Range<Int>
    /// Size in bytes of the transfer-decoded body.
    public var decodedSize: Int
    /// Defects found in this part (not its children).
    public var problems: [MIMEProblem]

    public init(
        id: String,
        header: MIMEHeader,
        contentType: MIMEContentType,
        transferEncoding: String,
        charset: String?,
        disposition: String?,
        filename: String?,
        contentID: String?,
        children: [MIMEPart],
        bodyRange: Range<Int>,
        decodedSize: Int,
        problems: [MIMEProblem]
    ) {
        self.id = id
        self.header = header
        self.contentType = contentType
        self.transferEncoding = transferEncoding
        self.charset = charset
        self.disposition = disposition
        self.filename = filename
        self.contentID = contentID
        self.children = children
        self.bodyRange = bodyRange
        self.decodedSize = decodedSize
        self.problems = problems
    }

    /// True for multipart containers (even ones whose boundary was never found).
    public var isMultipart: Bool {
        self.contentType.type == "multipart"
    }

    /// True when Content-Disposition says `attachment`.
    public var isAttachment: Bool {
        self.disposition == "attachment"
    }

    /// This part and all its descendants, depth first, in message order.
    public var allParts: [MIMEPart] {
        var out: [MIMEPart] = []
        self.collect(into: &out)
        return out
    }

    private func collect(into out: inout [MIMEPart]) {
        out.append(self)
        for child in self.children {
            child.collect(into: &out)
        }
    }
}
