import Foundation
import MailpenMIME

/// Everything the built-in rules test, worked out once per message so that each rule
/// is a cheap predicate.
struct SpamInput {
    let message: MIMEMessage
    let envelope: CheckEnvelope?
    let receivedAt: Date
    let header: MIMEHeader
    let subject: String?
    let from: MIMEAddress?
    let replyTo: MIMEAddress?
    let textBody: String?
    let htmlBody: String?
    let html: HTMLDocument?
    /// The HTML body as text ("" without HTML).
    let htmlText: String
    /// The text a reader sees: the text body, else the HTML as text.
    let visibleText: String
    let anchors: [HTMLAnchor]
    /// Every http(s) URL of both bodies, parsed.
    let webURLs: [URLParts]
    /// Leaf `text/*` parts that are not attachments.
    let textParts: [MIMEPart]
    /// Lowercased words of `visibleText`.
    let words: [Substring]
    /// Hashes of the lowercased words of the text body and of the HTML as text.
    let textWordHashes: [UInt64]
    let htmlWordHashes: [UInt64]
    /// The lowercased word after "Dear" on lines that start with it.
    let greetings: [String]
    /// How many start and end tags of each element the HTML has.
    let startTagCounts: [String: Int]
    let endTagCounts: [String: Int]
    /// `<iframe>` and `<font>` start tags (the rules read their attributes).
    let iframes: [HTMLTag]
    let fonts: [HTMLTag]
    /// The HTML body's text without white space, in bytes (SpamAssassin's "bytes of words").
    let htmlWordBytes: Int

    init(_ context: CheckContext) {
        let message = context.message
        self.message = message
        self.envelope = context.envelope
        self.receivedAt = context.receivedAt
        self.header = message.header
        self.subject = message.subject
        self.from = message.from.first
        self.replyTo = message.replyTo.first
        self.textBody = message.textBody
        self.htmlBody = message.htmlBody
        let html = message.htmlBody.map(HTMLDocument.init)
        self.html = html
        self.htmlText = message.htmlText
        let text = self.textBody ?? ""
        self.visibleText = Bytes.trimmed(text).isEmpty ? self.htmlText : text
        let (links, anchors) = LinkExtractor.scan(html: html, text: self.textBody)
        self.anchors = anchors
        self.webURLs = links.compactMap { link in
            link.scheme == "http" || link.scheme == "https" ? URLParts(link.url) : nil
        }
        self.textParts = message.allParts.filter { part in
            part.children.isEmpty && !part.isMultipart && part.contentType.type == "text" && !part.isAttachment
        }
        self.words = Self.words(ByteText.lowercasedASCII(self.visibleText))
        self.textWordHashes = Self.wordHashes(text)
        self.htmlWordHashes = Self.wordHashes(self.htmlText)
        self.greetings = Self.greetings(in: self.visibleText)
        var startTagCounts: [String: Int] = [:]
        var endTagCounts: [String: Int] = [:]
        var iframes: [HTMLTag] = []
        var fonts: [HTMLTag] = []
        for token in html?.tokens ?? [] {
            guard case .tag(let tag) = token else {
                continue
            }
            if tag.isEndTag {
                endTagCounts[tag.name, default: 0] += 1
                continue
            }
            startTagCounts[tag.name, default: 0] += 1
            if tag.name == "iframe" {
                iframes.append(tag)
            } else if tag.name == "font" {
                fonts.append(tag)
            }
        }
        self.startTagCounts = startTagCounts
        self.endTagCounts = endTagCounts
        self.iframes = iframes
        self.fonts = fonts
        self.htmlWordBytes = self.htmlText.utf8.reduce(0) { $0 + (ASCII.isHTMLSpace($1) ? 0 : 1) }
    }

    static func greetings(in text: String) -> [String] {
        var found: [String] = []
        for line in text.split(separator: "\n") {
            let trimmed = line.drop { $0 == " " || $0 == "\t" }
            guard trimmed.utf8.count > 5, ByteText.lowercasedASCII(String(trimmed.prefix(5))) == "dear " else {
                continue
            }
            let greeting = Self.words(ByteText.lowercasedASCII(String(trimmed.prefix(60))))
            if greeting.count >= 2 {
                found.append(String(greeting[1]))
            }
        }
        return found
    }

    /// FNV-1a hashes of the ASCII-lowercased words of `text` (cheaper than hashing strings).
    static func wordHashes(_ text: String, minimumLength: Int = 1) -> [UInt64] {
        var hashes: [UInt64] = []
        var hash: UInt64 = 0xCBF2_9CE4_8422_2325
        var length = 0
        for byte in text.utf8 {
            if ASCII.isAlpha(byte) || ASCII.isDigit(byte) || byte >= 0x80 {
                hash = (hash ^ UInt64(ASCII.lowercased(byte))) &* 0x100_0000_01B3
                length += 1
            } else if length > 0 {
                hashes.append(hash &+ UInt64(length))
                hash = 0xCBF2_9CE4_8422_2325
                length = 0
            }
        }
        if length > 0 {
            hashes.append(hash &+ UInt64(length))
        }
        return hashes
    }

    /// Runs of letters and digits (any non-ASCII byte counts as a letter).
    static func words(_ text: String) -> [Substring] {
        var words: [Substring] = []
        let utf8 = text.utf8
        var start: String.Index? = nil
        var index = utf8.startIndex
        while index != utf8.endIndex {
            let byte = utf8[index]
            let isWord = ASCII.isAlpha(byte) || ASCII.isDigit(byte) || byte >= 0x80
            if isWord {
                if start == nil {
                    start = index
                }
            } else if let wordStart = start {
                words.append(text[wordStart..<index])
                start = nil
            }
            index = utf8.index(after: index)
        }
        if let wordStart = start {
            words.append(text[wordStart...])
        }
        return words
    }

    /// The number of start tags called `name`.
    func count(_ name: String) -> Int {
        self.startTagCounts[name] ?? 0
    }

    /// Hours from `receivedAt` to the Date header (positive: dated in the future).
    var dateOffsetHours: Double? {
        self.message.date.map { $0.timeIntervalSince(self.receivedAt) / 3600 }
    }

    /// True when an `<a>` contains an `<img>`.
    var hasLinkedImage: Bool {
        self.anchors.contains { $0.containsImage }
    }

    /// The raw (still encoded) lines of `part`'s body.
    func rawBodyLines(of part: MIMEPart) -> [ArraySlice<UInt8>] {
        self.message.rawBody(of: part).split(separator: ASCII.lf, omittingEmptySubsequences: false)
    }
}
