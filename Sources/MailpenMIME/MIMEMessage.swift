#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// A captured message parsed into headers and a MIME tree, with the views the rest
/// of Mailpen reads (addresses, bodies, attachments, snippet, search text).
///
/// Parsing never fails, traps or hangs: malformed input yields a best-effort tree with
/// `MIMEPart.problems`. `init` only scans structure (header blocks, boundaries, sizes);
/// bodies are transfer- and charset-decoded when a view asks for them, once.
public struct MIMEMessage: Sendable {
    /// The message bytes exactly as received.
    public let raw: [UInt8]
    /// The top-level entity; see `MIMEPart` for part numbering.
    public let root: MIMEPart
    private let cache = ViewCache()

    /// Parses `raw`.
    public init(_ raw: [UInt8]) {
        self.raw = raw
        self.root = raw.withUnsafeBufferPointer { buffer in
            var parser = MIMEParser(message: raw, buffer: buffer)
            return parser.parseMessage()
        }
    }

    /// Parses any byte sequence (Data, ArraySlice, …).
    public init(_ raw: some Sequence<UInt8>) {
        self.init(Array(raw))
    }

    // MARK: Header views

    /// The top-level header block.
    public var header: MIMEHeader {
        self.root.header
    }

    /// The Subject, unfolded and RFC 2047-decoded; nil when absent.
    public var subject: String? {
        self.header["subject"]
    }

    public var from: [MIMEAddress] { self.addresses("from") }
    public var sender: [MIMEAddress] { self.addresses("sender") }
    public var replyTo: [MIMEAddress] { self.addresses("reply-to") }
    public var to: [MIMEAddress] { self.addresses("to") }
    public var cc: [MIMEAddress] { self.addresses("cc") }
    public var bcc: [MIMEAddress] { self.addresses("bcc") }

    /// From, Sender, Reply-To, To, Cc and Bcc, in that order.
    public var allAddresses: [MIMEAddress] { addressHeaders.all }

    /// Every address list of the header, each parsed once.
    public var addressHeaders: MIMEAddressHeaders { MIMEAddressHeaders(self.header) }

    /// Mailboxes of every field called `name` (case-insensitive).
    public func addresses(_ name: String) -> [MIMEAddress] {
        self.header.unfoldedValues(named: name).flatMap(AddressList.parse)
    }

    /// The Date header; nil when absent or unparseable.
    public var date: Date? {
        self.header.first(named: "date").flatMap { MIMEDate.parse($0.unfoldedValue) }
    }

    /// The Message-ID without angle brackets.
    public var messageID: String? {
        self.header.first(named: "message-id").flatMap { MessageIDList.parse($0.unfoldedValue).first }
    }

    public var inReplyTo: [String] {
        self.header.unfoldedValues(named: "in-reply-to").flatMap(MessageIDList.parse)
    }

    public var references: [String] {
        self.header.unfoldedValues(named: "references").flatMap(MessageIDList.parse)
    }

    // MARK: Parts

    /// The part with IMAP-style id `id`: a walk of the tree, so a caller that looks up many parts takes
    /// ``partsByID`` once instead.
    public func part(withID id: String) -> MIMEPart? {
        Self.find(id, in: self.root)
    }

    /// Every part by its id (the first wins, as in ``part(withID:)``).
    public var partsByID: [String: MIMEPart] {
        var parts: [String: MIMEPart] = [:]
        for part in self.allParts where parts[part.id] == nil { parts[part.id] = part }
        return parts
    }

    private static func find(_ id: String, in part: MIMEPart) -> MIMEPart? {
        if part.id == id {
            return part
        }
        for child in part.children {
            if let found = Self.find(id, in: child) {
                return found
            }
        }
        return nil
    }

    /// Every part, depth first in message order.
    public var allParts: [MIMEPart] {
        self.root.allParts
    }

    /// Content-ID (without angle brackets) → part id, for resolving `cid:` URLs.
    /// The first part with a given Content-ID wins.
    public var contentIDs: [String: String] {
        var map: [String: String] = [:]
        for part in self.allParts {
            if let contentID = part.contentID, map[contentID] == nil {
                map[contentID] = part.id
            }
        }
        return map
    }

    /// The still-encoded body bytes of `part`.
    public func rawBody(of part: MIMEPart) -> ArraySlice<UInt8> {
        let lower = min(max(0, part.bodyRange.lowerBound), self.raw.count)
        let upper = min(max(lower, part.bodyRange.upperBound), self.raw.count)
        return self.raw[lower..<upper]
    }

    /// The transfer-decoded body of `part` (multiparts and messages: their raw body).
    public func decodedBody(of part: MIMEPart) -> [UInt8] {
        self.rawBody(of: part).withUnsafeBufferPointer {
            TransferEncoding.decode($0, encoding: part.isMultipart ? "7bit" : part.transferEncoding)
        }
    }

    /// The transfer-decoded bytes (not charset-converted) of the part with id `id`.
    public func decodedBody(ofPartWithID id: String) -> [UInt8]? {
        self.part(withID: id).map(self.decodedBody(of:))
    }

    /// Transfer- and charset-decoded text of a `text/*` part, line endings normalized
    /// to LF; nil for other types.
    public func decodedText(of part: MIMEPart) -> String? {
        self.decodedTextWithProblems(of: part)?.text
    }

    /// Like `decodedText(of:)`, also reporting charset problems found while decoding
    /// (`.unknownCharset`, `.invalidCharsetData`).
    public func decodedTextWithProblems(of part: MIMEPart) -> (text: String, problems: [MIMEProblem])? {
        guard part.contentType.isText else {
            return nil
        }
        let bytes = self.decodedBody(of: part)
        let (text, problem) = Charset.decode(bytes, label: part.charset)
        return (ByteText.normalizingNewlines(text), problem.map { [$0] } ?? [])
    }

    // MARK: Bodies

    /// The best `text/plain` body (the rules of Python's `get_body`: attachments are
    /// skipped, multipart/related contributes its start part, first match wins).
    public var textBodyPart: MIMEPart? {
        Self.firstBody(in: self.root, subtype: "plain")
    }

    /// The best `text/html` body.
    public var htmlBodyPart: MIMEPart? {
        Self.firstBody(in: self.root, subtype: "html")
    }

    static func firstBody(in part: MIMEPart, subtype: String) -> MIMEPart? {
        if part.isAttachment {
            return nil
        }
        if part.contentType.isText {
            return part.contentType.subtype == subtype ? part : nil
        }
        guard part.isMultipart, !part.children.isEmpty else {
            return nil
        }
        if part.contentType.subtype != "related" {
            for child in part.children {
                if let found = Self.firstBody(in: child, subtype: subtype) {
                    return found
                }
            }
            return nil
        }
        var candidate = part.children[0]
        if let start = part.contentType.parameters["start"].flatMap({ MessageIDList.parse($0).first }),
            let match = part.children.first(where: { $0.contentID == start })
        {
            candidate = match
        }
        return Self.firstBody(in: candidate, subtype: subtype)
    }

    /// The best text/plain body, decoded; nil when there is none.
    public var textBody: String? {
        self.cache.value(read: { $0.textBody }, write: { $0.textBody = $1 }) {
            self.textBodyPart.flatMap(self.decodedText(of:))
        }
    }

    /// The best text/html body, decoded; nil when there is none.
    public var htmlBody: String? {
        self.cache.value(read: { $0.htmlBody }, write: { $0.htmlBody = $1 }) {
            self.htmlBodyPart.flatMap(self.decodedText(of:))
        }
    }

    /// `htmlBody` converted to text ("" when there is no HTML body).
    public var htmlText: String {
        self.cache.value(read: { $0.htmlText }, write: { $0.htmlText = $1 }) {
            self.htmlBody.map(HTMLText.plainText(fromHTML:)) ?? ""
        }
    }

    /// About 200 characters of the text body (or of the HTML as text) with white space
    /// collapsed, for message lists.
    public var snippet: String {
        self.cache.value(read: { $0.snippet }, write: { $0.snippet = $1 }) {
            self.snippet(readingBytesDirectly: true)
        }
    }

    /// The snippet, from the text body's bytes when they need no decoding (`readingBytesDirectly`; a
    /// message list's snippet needs only the first 200 characters of a body that can be long), else from
    /// the decoded text body. Both give the same snippet.
    package func snippet(readingBytesDirectly: Bool) -> String {
        let direct = readingBytesDirectly ? self.textBodyPart.flatMap(self.snippetFromUndecodedBody) : nil
        let snippet = direct ?? Self.collapsedPrefix(self.textBody ?? "", limit: Self.snippetLength)
        return snippet.isEmpty ? Self.collapsedPrefix(self.htmlText, limit: Self.snippetLength) : snippet
    }

    /// The snippet of a text part whose body decodes to its own bytes: no transfer encoding to undo, and
    /// text valid in the UTF-8 or US-ASCII it declares (anything else is decoded from another charset or
    /// as a fallback). The parse checked the body against its charset already (`BodyScanner`), and
    /// recorded a problem if it failed. Newlines need no normalizing, since CR and LF both collapse to one
    /// space. Nil when the body needs decoding.
    func snippetFromUndecodedBody(of part: MIMEPart) -> String? {
        let decoder = Charset.decoder(forLabel: part.charset)
        guard TransferEncoding.isIdentity(part.transferEncoding), decoder == .utf8 || decoder == .ascii,
            !part.problems.contains(where: { if case .invalidCharsetData = $0 { true } else { false } })
        else { return nil }
        return self.rawBody(of: part).withUnsafeBufferPointer { Self.collapsedPrefix($0, limit: Self.snippetLength) }
    }

    static let snippetLength = 200

    /// The decoded text body and the HTML body as text, for full-text search.
    public var searchableText: String {
        self.cache.value(read: { $0.searchableText }, write: { $0.searchableText = $1 }) {
            let text = self.textBody ?? ""
            let html = self.htmlText
            if text.isEmpty {
                return html
            }
            if html.isEmpty {
                return text
            }
            return text + "\n" + html
        }
    }

    /// The first `limit` characters (Unicode scalars) of `text` with every run of white
    /// space turned into one space and the ends trimmed.
    static func collapsedPrefix(_ text: String, limit: Int) -> String {
        var text = text
        return text.withUTF8 { collapsedPrefix($0, limit: limit) }
    }

    /// ``collapsedPrefix(_:limit:)`` of valid UTF-8 bytes. The snippet is written straight into the
    /// string's storage: it is never longer than its source, since each space it writes stands for at least
    /// one byte of white space.
    static func collapsedPrefix(_ bytes: UnsafeBufferPointer<UInt8>, limit: Int) -> String {
        guard limit > 0, !bytes.isEmpty else { return "" }
        return String(unsafeUninitializedCapacity: min(bytes.count, limit * 4)) { out in
            var written = 0
            var scalars = 0
            var pendingSpace = false
            var index = 0
            while index < bytes.count && scalars < limit {
                let lead = bytes[index]
                let space = Self.whitespaceLength(bytes, at: index)
                if space > 0 {
                    pendingSpace = scalars > 0
                    index += space
                    continue
                }
                if pendingSpace {
                    if scalars + 1 >= limit {
                        break
                    }
                    out[written] = ASCII.space
                    written += 1
                    scalars += 1
                    pendingSpace = false
                }
                let length = lead < 0x80 ? 1 : lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : 2
                let end = min(bytes.count, index + length)
                while index < end {
                    out[written] = bytes[index]
                    written += 1
                    index += 1
                }
                scalars += 1
            }
            return written
        }
    }

    /// Byte length of the white-space scalar at `index` (ASCII white space, NBSP, the
    /// U+2000 block spaces, line/paragraph separators, ideographic space, BOM), or 0.
    @inline(__always)
    static func whitespaceLength(_ bytes: UnsafeBufferPointer<UInt8>, at index: Int) -> Int {
        let byte = bytes[index]
        if byte < 0x80 {
            return ASCII.isWhitespace(byte) ? 1 : 0
        }
        let remaining = bytes.count - index
        if byte == 0xC2 && remaining >= 2 && (bytes[index + 1] == 0xA0 || bytes[index + 1] == 0x85) {
            return 2
        }
        if byte == 0xE2 && remaining >= 3 && bytes[index + 1] == 0x80 {
            let third = bytes[index + 2]
            if third <= 0x8B || third == 0xA8 || third == 0xA9 || third == 0xAF {
                return 3
            }
        }
        if byte == 0xE3 && remaining >= 3 && bytes[index + 1] == 0x80 && bytes[index + 2] == 0x80 {
            return 3
        }
        if byte == 0xEF && remaining >= 3 && bytes[index + 1] == 0xBB && bytes[index + 2] == 0xBF {
            return 3
        }
        return 0
    }

    // MARK: Attachments

    /// File-like parts: every leaf outside the chosen text and HTML bodies, except
    /// unnamed inline text/plain and text/html fragments. A message/rfc822 part is
    /// one attachment (its inner parts are not listed).
    public var attachments: [MIMEAttachment] {
        // Two ids at most: a list is cheaper than a set.
        let bodyIDs = [self.textBodyPart?.id, self.htmlBodyPart?.id].compactMap { $0 }
        var out: [MIMEAttachment] = []
        Self.collectAttachments(self.root, bodyIDs: bodyIDs, into: &out)
        return out
    }

    private static func collectAttachments(_ part: MIMEPart, bodyIDs: [String], into out: inout [MIMEAttachment]) {
        if part.isMultipart {
            for child in part.children {
                Self.collectAttachments(child, bodyIDs: bodyIDs, into: &out)
            }
            return
        }
        if bodyIDs.contains(part.id) {
            return
        }
        let type = part.contentType
        if type.type == "text" && (type.subtype == "plain" || type.subtype == "html") && !part.isAttachment
            && part.filename == nil
        {
            return
        }
        out.append(
            MIMEAttachment(
                partID: part.id,
                filename: part.filename,
                contentType: type.mimeType,
                size: part.decodedSize,
                contentID: part.contentID,
                isInline: part.disposition == "inline" || (part.disposition == nil && part.contentID != nil)
            )
        )
    }

    /// All problems in the tree, with the id of the part each belongs to.
    public var problems: [(partID: String, problem: MIMEProblem)] {
        self.allParts.flatMap { part in part.problems.map { (part.id, $0) } }
    }
}
