import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// A small blocking SMTP client for `mailpen send` and `mailpen sendmail`: short-lived commands that send
/// one message to a local Mailpen and exit.
final class SMTPClient {
    struct Failure: Error, CustomStringConvertible {
        let message: String
        /// Whether trying again later could work (4xx, connection problems).
        let isTemporary: Bool
        var description: String { message }
    }

    private let socket: Int32
    private var buffer: [UInt8] = []

    /// Connects to `host:port` and reads the greeting.
    init(host: String, port: Int, timeoutSeconds: Int = 30) throws {
        var hints = addrinfo()
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var results: UnsafeMutablePointer<addrinfo>?
        guard getaddrinfo(host, String(port), &hints, &results) == 0, let first = results else {
            throw Failure(message: "cannot resolve \(host)", isTemporary: true)
        }
        defer { freeaddrinfo(results) }
        var connected: Int32 = -1
        var candidate: UnsafeMutablePointer<addrinfo>? = first
        while let address = candidate {
            let descriptor = Glibc.socket(address.pointee.ai_family, address.pointee.ai_socktype, address.pointee.ai_protocol)
            if descriptor >= 0 {
                var timeout = timeval(tv_sec: timeoutSeconds, tv_usec: 0)
                setsockopt(descriptor, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
                setsockopt(descriptor, SOL_SOCKET, SO_SNDTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
                if connect(descriptor, address.pointee.ai_addr, address.pointee.ai_addrlen) == 0 {
                    connected = descriptor
                    break
                }
                close(descriptor)
            }
            candidate = address.pointee.ai_next
        }
        guard connected >= 0 else {
            throw Failure(message: "cannot connect to the SMTP server at \(host):\(port)", isTemporary: true)
        }
        socket = connected
        try expect(220, try readReply())
    }

    deinit {
        close(socket)
    }

    /// Sends a message: EHLO, optional AUTH PLAIN, MAIL, RCPT for each recipient, DATA.
    /// Returns the final reply (`250 2.0.0 Ok: queued as …`).
    func send(
        message: [UInt8], from: String, to recipients: [String], username: String?, password: String?,
        helo: String = "mailpen-cli"
    ) throws -> String {
        let ehlo = try command("EHLO \(helo)")
        try expect(250, ehlo)
        let eightBit = message.contains { $0 >= 0x80 }
        let unicodeAddresses = ([from] + recipients).contains { $0.unicodeScalars.contains { !$0.isASCII } }
        if let username {
            let token = Data("\u{0}\(username)\u{0}\(password ?? "mailpen")".utf8).base64EncodedString()
            try expect(235, try command("AUTH PLAIN \(token)"))
        }
        var mail = "MAIL FROM:<\(from)>"
        if eightBit { mail += " BODY=8BITMIME" }
        if unicodeAddresses { mail += " SMTPUTF8" }
        try expect(250, try command(mail))
        for recipient in recipients { try expect(250, try command("RCPT TO:<\(recipient)>")) }
        try expect(354, try command("DATA"))
        try write(Self.dotStuffed(message))
        let reply = try readReply()
        try expect(250, reply)
        _ = try? command("QUIT")
        return reply.text
    }

    // MARK: - Protocol

    private struct Reply {
        var code: Int
        var text: String
    }

    private func expect(_ code: Int, _ reply: Reply) throws {
        guard reply.code == code else {
            throw Failure(message: "the SMTP server answered: \(reply.code) \(reply.text)", isTemporary: reply.code < 500)
        }
    }

    private func command(_ line: String) throws -> Reply {
        try write(Array((line + "\r\n").utf8))
        return try readReply()
    }

    private func write(_ bytes: [UInt8]) throws {
        var offset = 0
        while offset < bytes.count {
            let written = bytes[offset...].withUnsafeBytes { Glibc.send(socket, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            guard written > 0 else { throw Failure(message: "the SMTP connection broke while sending", isTemporary: true) }
            offset += written
        }
    }

    private func readLine() throws -> String {
        while true {
            if let newline = buffer.firstIndex(of: 0x0A) {
                var line = Array(buffer[..<newline])
                buffer.removeFirst(newline + 1)
                if line.last == 0x0D { line.removeLast() }
                return String(decoding: line, as: UTF8.self)
            }
            var chunk = [UInt8](repeating: 0, count: 4096)
            let count = chunk.withUnsafeMutableBytes { recv(socket, $0.baseAddress, $0.count, 0) }
            guard count > 0 else { throw Failure(message: "the SMTP server closed the connection", isTemporary: true) }
            buffer += chunk[..<count]
        }
    }

    private func readReply() throws -> Reply {
        var lines: [String] = []
        while true {
            let line = try readLine()
            guard line.count >= 3, let code = Int(line.prefix(3)) else {
                throw Failure(message: "not an SMTP reply: \(line)", isTemporary: true)
            }
            lines.append(String(line.dropFirst(4)))
            if line.count == 3 || line.dropFirst(3).first == " " { return Reply(code: code, text: lines.joined(separator: " ")) }
        }
    }

    /// The DATA encoding of a CRLF message: leading dots doubled, ended by CRLF.CRLF.
    static func dotStuffed(_ message: [UInt8]) -> [UInt8] {
        var output: [UInt8] = []
        output.reserveCapacity(message.count + 64)
        var atLineStart = true
        for byte in message {
            if atLineStart && byte == UInt8(ascii: ".") { output.append(byte) }
            output.append(byte)
            atLineStart = byte == 0x0A
        }
        if !output.isEmpty && output.last != 0x0A { output += [0x0D, 0x0A] }
        return output + Array(".\r\n".utf8)
    }
}

/// Where to send SMTP: `--smtp`, `MAILPEN_SMTP`, or the default port on localhost.
enum SMTPAddress {
    static func resolve(_ given: String?) throws -> (host: String, port: Int) {
        let text = given ?? ProcessInfo.processInfo.environment["MAILPEN_SMTP"] ?? "127.0.0.1:2525"
        let (host, port) = try Parse.address(text, option: "--smtp")
        return (host == "0.0.0.0" ? "127.0.0.1" : host, port)
    }
}
