/// A file-like part listed in the UI and API: attachments and inline images.
///
/// A flat summary so the store can keep it in a column and the API can list it
/// without walking the MIME tree.
public struct MIMEAttachment: Sendable, Hashable {
    /// The part id to fetch the bytes with (`decodedBody(ofPartWithID:)`).
    public var partID: String
    public var filename: String?
    /// `type/subtype`, lowercased.
    public var contentType: String
    /// Transfer-decoded size in bytes.
    public var size: Int
    /// Content-ID without angle brackets.
    public var contentID: String?
    /// True for parts shown inline (disposition inline, or a Content-ID without a disposition).
    public var isInline: Bool

    public init(partID: String, filename: String?, contentType: String, size: Int, contentID: String?, isInline: Bool) {
        self.partID = partID
        self.filename = filename
        self.contentType = contentType
        self.size = size
        self.contentID = contentID
        self.isInline = isInline
    }
}
