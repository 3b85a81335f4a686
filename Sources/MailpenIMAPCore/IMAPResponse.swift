import MailpenSASL

/// Bytes to send to an IMAP client: one or more complete response lines (literals inline), each ending
/// in CRLF. A value, so the state machine can return it without knowing how it is written.
public struct IMAPResponse: Sendable, Hashable {
    public var bytes: [UInt8]

    public init(bytes: [UInt8]) {
        self.bytes = bytes
    }

    /// The bytes as text, for logs and tests (8-bit bytes are replaced).
    public var text: String { String(decoding: bytes, as: UTF8.self) }
}

/// What a client presented to log in, from LOGIN or AUTHENTICATE PLAIN, for the caller to check.
public typealias IMAPCredentials = LoginCredentials
