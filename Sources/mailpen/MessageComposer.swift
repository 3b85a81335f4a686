import Foundation
import MailpenMIME

/// Builds a proper MIME message for `mailpen send`: text and/or HTML (multipart/alternative), attachments
/// (multipart/mixed, base64), RFC 2047 display names, subjects and header values, RFC 2231 filenames, CRLF
/// throughout.
struct MessageComposer {
    var from: MIMEAddress
    var to: [MIMEAddress]
    var cc: [MIMEAddress] = []
    var subject: String
    var text: String?
    var html: String?
    var attachments: [(filename: String, contentType: String, data: Data)] = []
    var extraHeaders: [(String, String)] = []
    var date = Date()

    func compose() -> [UInt8] {
        var headers: [(String, String)] = [
            ("From", Self.mailbox(from)),
            ("To", to.map(Self.mailbox).joined(separator: ", ")),
        ]
        if !cc.isEmpty { headers.append(("Cc", cc.map(Self.mailbox).joined(separator: ", "))) }
        headers += [
            ("Subject", Self.encodedWord(subject)),
            ("Date", MIMEDate.string(from: date)),
            ("Message-ID", "<\(UUID().uuidString.lowercased())@mailpen.local>"),
            ("MIME-Version", "1.0"),
        ]
        headers += extraHeaders.map { ($0.0, Self.encodedWord($0.1)) }
        let body = bodyEntity()
        var output = ""
        for (name, value) in headers + body.headers { output += "\(name): \(value)\r\n" }
        output += "\r\n"
        return Array(output.utf8) + body.content
    }

    private struct Entity {
        var headers: [(String, String)]
        var content: [UInt8]
    }

    private func bodyEntity() -> Entity {
        var main: Entity
        switch (text, html) {
        case (let text?, let html?):
            main = Self.multipart(
                "alternative", [Self.textEntity(text, subtype: "plain"), Self.textEntity(html, subtype: "html")])
        case (nil, let html?):
            main = Self.textEntity(html, subtype: "html")
        default:
            main = Self.textEntity(text ?? "", subtype: "plain")
        }
        guard !attachments.isEmpty else { return main }
        let parts =
            [main]
            + attachments.map { attachment in
                Entity(
                    headers: [
                        (
                            "Content-Type",
                            "\(attachment.contentType); name=\"\(Self.asciiFilename(attachment.filename))\""
                        ),
                        ("Content-Disposition", "attachment; \(Self.filenameParameter(attachment.filename))"),
                        ("Content-Transfer-Encoding", "base64"),
                    ],
                    content: Array(
                        attachment.data.base64EncodedString(options: [
                            .lineLength76Characters, .endLineWithCarriageReturn, .endLineWithLineFeed,
                        ]).utf8) + [0x0D, 0x0A])
            }
        return Self.multipart("mixed", parts)
    }

    private static func multipart(_ subtype: String, _ parts: [Entity]) -> Entity {
        let boundary = "mailpen-" + UUID().uuidString.lowercased()
        var content: [UInt8] = []
        for part in parts {
            content += Array("--\(boundary)\r\n".utf8)
            for (name, value) in part.headers { content += Array("\(name): \(value)\r\n".utf8) }
            content += Array("\r\n".utf8) + part.content
            if content.last != 0x0A { content += [0x0D, 0x0A] }
        }
        content += Array("--\(boundary)--\r\n".utf8)
        return Entity(headers: [("Content-Type", "multipart/\(subtype); boundary=\"\(boundary)\"")], content: content)
    }

    private static func textEntity(_ text: String, subtype: String) -> Entity {
        Entity(
            headers: [
                ("Content-Type", "text/\(subtype); charset=utf-8"),
                ("Content-Transfer-Encoding", "quoted-printable"),
            ],
            content: quotedPrintable(text))
    }

    /// Quoted-printable (RFC 2045 §6.7) with CRLF line breaks and soft breaks under 76 characters.
    static func quotedPrintable(_ text: String) -> [UInt8] {
        let hex = Array("0123456789ABCDEF".utf8)
        var output: [UInt8] = []
        var lines = text.replacingOccurrences(of: "\r\n", with: "\n").split(
            separator: "\n", omittingEmptySubsequences: false)
        // A text that ends with a line break (a file, standard input) has no empty line after it.
        if lines.count > 1 && lines.last?.isEmpty == true { lines.removeLast() }
        for (index, line) in lines.enumerated() {
            var length = 0
            let bytes = Array(line.utf8)
            for (position, byte) in bytes.enumerated() {
                let isLast = position == bytes.count - 1
                let literal =
                    (byte >= 33 && byte <= 126 && byte != UInt8(ascii: "="))
                    || ((byte == 0x20 || byte == 0x09) && !isLast)
                let encoded: [UInt8] = literal ? [byte] : [UInt8(ascii: "="), hex[Int(byte >> 4)], hex[Int(byte & 15)]]
                if length + encoded.count > 75 {
                    output += Array("=\r\n".utf8)
                    length = 0
                }
                output += encoded
                length += encoded.count
            }
            if index < lines.count - 1 { output += [0x0D, 0x0A] }
        }
        return output + [0x0D, 0x0A]
    }

    /// A mailbox for an address header: `Name <address>`, the name quoted or RFC 2047-encoded as needed.
    static func mailbox(_ mailbox: MIMEAddress) -> String {
        guard let name = mailbox.name, !name.isEmpty else { return mailbox.address }
        let plain = name.unicodeScalars.allSatisfy { $0.isASCII && $0.value >= 0x20 && $0.value < 0x7F }
        guard plain else { return "\(encodedWord(name)) <\(mailbox.address)>" }
        let atext = name.unicodeScalars.allSatisfy {
            CharacterSet.alphanumerics.contains($0) || " !#$%&'*+-/=?^_`{|}~".unicodeScalars.contains($0)
        }
        if atext { return "\(name) <\(mailbox.address)>" }
        let quoted = name.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
        return "\"\(quoted)\" <\(mailbox.address)>"
    }

    /// An RFC 2047 encoded word when `text` is not plain ASCII.
    static func encodedWord(_ text: String) -> String {
        guard text.unicodeScalars.contains(where: { !$0.isASCII || $0.value < 0x20 }) else { return text }
        return "=?UTF-8?B?\(Data(text.utf8).base64EncodedString())?="
    }

    private static func asciiFilename(_ name: String) -> String {
        String(name.unicodeScalars.map { $0.isASCII && $0 != "\"" && $0.value >= 0x20 ? Character($0) : "_" })
    }

    private static func filenameParameter(_ name: String) -> String {
        if name.unicodeScalars.allSatisfy({ $0.isASCII && $0 != "\"" && $0.value >= 0x20 }) {
            return "filename=\"\(name)\""
        }
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        let encoded = name.addingPercentEncoding(withAllowedCharacters: allowed) ?? asciiFilename(name)
        return "filename*=UTF-8''\(encoded)"
    }

    /// A content type from a filename's extension.
    static func contentType(forFilename name: String) -> String {
        let types = [
            "txt": "text/plain", "html": "text/html", "htm": "text/html", "csv": "text/csv", "pdf": "application/pdf",
            "png": "image/png", "jpg": "image/jpeg", "jpeg": "image/jpeg", "gif": "image/gif", "svg": "image/svg+xml",
            "json": "application/json", "zip": "application/zip", "ics": "text/calendar", "xml": "application/xml",
        ]
        return types[(name as NSString).pathExtension.lowercased()] ?? "application/octet-stream"
    }
}
