import Foundation
import MailpenMIME

/// The body of Mailpit's `POST /api/v1/send`, checked, and the message it describes. Pure: the route adds
/// the time, the Message-ID and the boundary.
struct MailpitSendRequest: Equatable {
    struct Mailbox: Equatable {
        var email: String
        var name: String
    }

    struct Attachment: Equatable {
        var filename: String
        var contentType: String
        var contentID: String
        var content: [UInt8]
    }

    var from: Mailbox
    var to: [Mailbox]
    var cc: [Mailbox]
    var bcc: [String]
    var replyTo: [Mailbox]
    var subject: String
    var text: String
    var html: String
    var headers: [(name: String, value: String)]
    var tags: [String]
    var attachments: [Attachment]

    /// Why a body cannot be sent, in Mailpit's words.
    struct Invalid: Error, Equatable {
        let message: String
    }

    static func == (lhs: MailpitSendRequest, rhs: MailpitSendRequest) -> Bool {
        lhs.from == rhs.from && lhs.to == rhs.to && lhs.cc == rhs.cc && lhs.bcc == rhs.bcc && lhs.replyTo == rhs.replyTo
            && lhs.subject == rhs.subject && lhs.text == rhs.text && lhs.html == rhs.html && lhs.tags == rhs.tags
            && lhs.attachments == rhs.attachments && lhs.headers.map(\.name) == rhs.headers.map(\.name)
            && lhs.headers.map(\.value) == rhs.headers.map(\.value)
    }

    init(_ body: LenientJSONObject) throws {
        guard let from = try body.object("From"), let email = try from.string("Email"), !email.isEmpty else {
            throw Invalid(message: "From is required")
        }
        func mailbox(_ object: LenientJSONObject, _ field: String) throws -> Mailbox {
            let email = try object.string("Email") ?? ""
            guard Self.isAddress(email) else { throw Invalid(message: "Invalid \(field) address: \(email)") }
            return Mailbox(email: email, name: try object.string("Name") ?? "")
        }
        self.from = try mailbox(from, "From")
        to = try (body.objects("To") ?? []).map { try mailbox($0, "To") }
        cc = try (body.objects("Cc") ?? []).map { try mailbox($0, "Cc") }
        bcc = try body.strings("Bcc") ?? []
        if let invalid = bcc.first(where: { !Self.isAddress($0) }) {
            throw Invalid(message: "Invalid Bcc address: \(invalid)")
        }
        replyTo = try (body.objects("ReplyTo") ?? []).map { try mailbox($0, "ReplyTo") }
        guard !(to.isEmpty && cc.isEmpty && bcc.isEmpty) else { throw Invalid(message: "No valid recipients found") }
        subject = try body.string("Subject") ?? ""
        text = try body.string("Text") ?? ""
        html = try body.string("HTML") ?? ""
        let headerMap = try body.stringMap("Headers") ?? [:]
        for (name, value) in headerMap {
            guard !name.isEmpty, name.utf8.allSatisfy({ (0x21...0x7E).contains($0) && $0 != UInt8(ascii: ":") }),
                // Scalars, not Characters: "\r\n" is one Character, equal to neither "\r" nor "\n".
                !value.unicodeScalars.contains(where: { $0 == "\r" || $0 == "\n" })
            else { throw Invalid(message: "Invalid header: \(name)") }
        }
        headers = headerMap.sorted { $0.key < $1.key }.map { (name: $0.key, value: $0.value) }
        // Cleaned as Mailpit cleans them: they go into the X-Tags header.
        tags = MailpitTags.cleaned(try body.strings("Tags") ?? [])
        attachments = try (body.objects("Attachments") ?? []).map { object in
            let filename = try object.string("Filename") ?? ""
            guard !filename.isEmpty else { throw Invalid(message: "Attachment filename is required") }
            // Each of these goes into a header line of the part: a line break would start headers (or end the
            // part's header block) of the sender's choosing.
            guard !Self.hasControlCharacter(filename) else {
                throw Invalid(message: "Invalid attachment filename: \(filename)")
            }
            guard
                let content = Data(base64Encoded: try object.string("Content") ?? "", options: .ignoreUnknownCharacters)
            else {
                throw Invalid(message: "Attachment content for \(filename) is not base64")
            }
            let declared = try object.string("ContentType") ?? ""
            guard !Self.hasControlCharacter(declared) else {
                throw Invalid(message: "Invalid attachment content type for \(filename)")
            }
            // `<logo@x>` and `logo@x` name the same part: the brackets are the header's, written below.
            var contentID = try object.string("ContentID") ?? ""
            if contentID.hasPrefix("<"), contentID.hasSuffix(">"), contentID.count >= 2 {
                contentID = String(contentID.dropFirst().dropLast())
            }
            guard !Self.hasControlCharacter(contentID), !contentID.contains(where: { "<> ".contains($0) }) else {
                throw Invalid(message: "Invalid attachment content ID for \(filename)")
            }
            return Attachment(
                filename: filename, contentType: declared.isEmpty ? Self.contentType(forFilename: filename) : declared,
                contentID: contentID, content: Array(content))
        }
    }

    /// Every envelope recipient: To, Cc and Bcc.
    var recipients: [String] { to.map(\.email) + cc.map(\.email) + bcc }

    /// The RFC 5322 message: text and HTML as alternatives, inline parts (those with a Content-ID) related to
    /// the HTML, attachments mixed around them.
    func compose(date: Date, messageID: String, boundary: String) -> [UInt8] {
        var lines: [String] = []
        lines.append("Date: " + MIMEDate.string(from: date))
        lines.append("From: " + Self.format(from))
        if !to.isEmpty { lines.append("To: " + to.map(Self.format).joined(separator: ", ")) }
        if !cc.isEmpty { lines.append("Cc: " + cc.map(Self.format).joined(separator: ", ")) }
        if !replyTo.isEmpty { lines.append("Reply-To: " + replyTo.map(Self.format).joined(separator: ", ")) }
        lines.append("Subject: " + Self.encodedWord(subject))
        lines.append("Message-ID: <\(messageID)>")
        if !tags.isEmpty { lines.append("X-Tags: " + tags.joined(separator: ", ")) }
        for header in headers { lines.append("\(header.name): \(Self.encodedWord(header.value))") }
        lines.append("MIME-Version: 1.0")
        // Without HTML to refer to them, parts with a Content-ID are still sent: inline, among the attachments.
        let inline = html.isEmpty ? [] : attachments.filter { !$0.contentID.isEmpty }
        let attached = attachments.filter { html.isEmpty || $0.contentID.isEmpty }
        var body: [String] = []
        func textPart(_ type: String, _ content: String) -> [String] {
            ["Content-Type: \(type); charset=UTF-8", "Content-Transfer-Encoding: base64", ""]
                + Self.base64Lines(Array(content.utf8))
        }
        func filePart(_ file: Attachment, disposition: String) -> [String] {
            var part = [
                "Content-Type: \(file.contentType); name=\(SearchValueQuoting.quoted(file.filename))",
                "Content-Disposition: \(disposition); filename=\(SearchValueQuoting.quoted(file.filename))",
                "Content-Transfer-Encoding: base64",
            ]
            if !file.contentID.isEmpty { part.append("Content-ID: <\(file.contentID)>") }
            return part + [""] + Self.base64Lines(file.content)
        }
        func multipart(_ subtype: String, _ name: String, _ parts: [[String]]) -> [String] {
            guard parts.count != 1 else { return parts[0] }
            var out = ["Content-Type: multipart/\(subtype); boundary=\"\(boundary)-\(name)\"", ""]
            for part in parts { out += ["--\(boundary)-\(name)"] + part }
            return out + ["--\(boundary)-\(name)--"]
        }
        var alternatives: [[String]] = []
        if !text.isEmpty || html.isEmpty { alternatives.append(textPart("text/plain", text)) }
        if !html.isEmpty {
            alternatives.append(
                multipart(
                    "related", "r", [textPart("text/html", html)] + inline.map { filePart($0, disposition: "inline") }))
        }
        body = multipart("alternative", "a", alternatives)
        if !attached.isEmpty {
            body = multipart(
                "mixed", "m",
                [body] + attached.map { filePart($0, disposition: $0.contentID.isEmpty ? "attachment" : "inline") })
        }
        return Array(((lines + body).joined(separator: "\r\n") + "\r\n").utf8)
    }

    /// A local part and a domain without spaces, angle brackets, commas, quotes or control characters (a
    /// line break would start a header of the client's choosing).
    static func isAddress(_ text: String) -> Bool {
        guard let at = text.lastIndex(of: "@"), at != text.startIndex, text.index(after: at) != text.endIndex,
            text.utf8.count <= 320
        else { return false }
        // Scalars, not Characters: "\r\n" is one Character, equal to neither "\r" nor "\n".
        return !text.unicodeScalars.contains {
            $0.value < 0x20 || $0.value == 0x7F || $0 == " " || $0 == "<" || $0 == ">" || $0 == "," || $0 == "\""
        }
    }

    /// Scalars, not Characters: "\r\n" is one Character, equal to neither "\r" nor "\n".
    private static func hasControlCharacter(_ text: String) -> Bool {
        text.unicodeScalars.contains { $0.value < 0x20 || (0x7F...0x9F).contains($0.value) }
    }

    private static func format(_ mailbox: Mailbox) -> String {
        mailbox.name.isEmpty ? mailbox.email : "\(encodedWord(mailbox.name, quotingASCII: true)) <\(mailbox.email)>"
    }

    /// Plain ASCII as it is (quoted for a display name that needs it); anything else as an RFC 2047 word.
    private static func encodedWord(_ text: String, quotingASCII: Bool = false) -> String {
        if text.unicodeScalars.allSatisfy({ $0.isASCII && $0.value >= 0x20 && $0.value != 0x7F }) {
            guard quotingASCII, text.contains(where: { "()<>[]:;@\\,.\"".contains($0) }) else { return text }
            return SearchValueQuoting.quoted(text)
        }
        return "=?UTF-8?B?" + Data(text.utf8).base64EncodedString() + "?="
    }

    private static func base64Lines(_ bytes: [UInt8]) -> [String] {
        let encoded = Data(bytes).base64EncodedString()
        var lines: [String] = []
        var index = encoded.startIndex
        while index < encoded.endIndex {
            let end = encoded.index(index, offsetBy: 76, limitedBy: encoded.endIndex) ?? encoded.endIndex
            lines.append(String(encoded[index..<end]))
            index = end
        }
        return lines
    }

    /// A content type from the file name's extension (Mailpit detects it from the content; names suffice here).
    static func contentType(forFilename filename: String) -> String {
        let types = [
            "png": "image/png", "jpg": "image/jpeg", "jpeg": "image/jpeg", "gif": "image/gif", "webp": "image/webp",
            "svg": "image/svg+xml", "pdf": "application/pdf", "txt": "text/plain", "csv": "text/csv",
            "html": "text/html",
            "json": "application/json", "zip": "application/zip", "ics": "text/calendar",
        ]
        let ext = filename.split(separator: ".").last.map { $0.lowercased() } ?? ""
        return types[ext] ?? "application/octet-stream"
    }
}
