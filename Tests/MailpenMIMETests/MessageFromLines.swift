import Foundation
import MailpenMIME

/// Builds a message from lines joined with CRLF.
func message(_ lines: String...) -> MIMEMessage {
    MIMEMessage(Array(lines.joined(separator: "\r\n").utf8))
}

/// Builds a message from text whose "\n" line endings become CRLF.
func crlfMessage(_ text: String) -> MIMEMessage {
    MIMEMessage(Array(text.replacingOccurrences(of: "\n", with: "\r\n").utf8))
}
