/// One POP3 server response as it goes on the wire: a status line (`+OK`, `-ERR`, or a SASL continuation
/// `+ `), optionally followed by a dot-stuffed multi-line body ending in `.` CRLF (RFC 1939 §3).
///
/// Responses are values so the state machine can return them without knowing how they are written; the
/// text never echoes client input, so no status line can carry a CR or LF.
public struct POP3Response: Sendable, Hashable {
    /// The kind of status line.
    public enum Status: Sendable, Hashable {
        case ok
        case error
        /// A SASL challenge (`+ ` and base64, RFC 5034 §4).
        case continuation
    }

    public var status: Status
    /// An extended response code without its brackets (`IN-USE`, `AUTH`, `SYS/TEMP`; RFC 2449, RFC 3206).
    public var code: String?
    /// The status line's text.
    public var text: String
    /// The multi-line body already dot-stuffed with CRLF line endings and the terminating `.` CRLF, or nil
    /// for a single-line response.
    public var body: [UInt8]?

    init(_ status: Status, code: String? = nil, _ text: String, body: [UInt8]? = nil) {
        self.status = status
        self.code = code
        self.text = text
        self.body = body
    }

    static func ok(_ text: String) -> POP3Response { POP3Response(.ok, text) }
    static func error(_ text: String, code: String? = nil) -> POP3Response { POP3Response(.error, code: code, text) }

    /// A `+OK` response with the given lines as its multi-line body (each dot-stuffed).
    static func ok(_ text: String, lines: [String]) -> POP3Response {
        var body: [UInt8] = []
        for line in lines {
            if line.utf8.first == UInt8(ascii: ".") { body.append(UInt8(ascii: ".")) }
            body.append(contentsOf: line.utf8)
            body.append(contentsOf: [0x0D, 0x0A])
        }
        body.append(contentsOf: [UInt8(ascii: "."), 0x0D, 0x0A])
        return POP3Response(.ok, text, body: body)
    }

    /// The status line without its CRLF.
    public var statusLine: String {
        let indicator: String
        switch status {
        case .ok: indicator = "+OK"
        case .error: indicator = "-ERR"
        case .continuation: return "+ " + text
        }
        let prefix = code.map { "\(indicator) [\($0)]" } ?? indicator
        return text.isEmpty ? prefix : prefix + " " + text
    }

    /// The whole response: the status line, its CRLF and the body, if any.
    public var wireFormat: [UInt8] {
        var bytes = Array(statusLine.utf8)
        bytes.append(contentsOf: [0x0D, 0x0A])
        if let body { bytes.append(contentsOf: body) }
        return bytes
    }
}
