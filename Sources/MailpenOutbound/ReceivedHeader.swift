import Foundation
import MailpenMIME

/// The one `Received:` trace header (RFC 5321 §4.4) Mailpen adds when it relays a captured message, so the
/// receiving side can see the hop through Mailpen:
///
///     Received: from client.example ([192.0.2.1])
///             by mailpen.local (Mailpen) with ESMTPS id 01J2...
///             for <someone@example.com>; Tue, 15 Jul 2025 10:00:00 +0000
///
/// Relayed bytes are the stored bytes exactly, with this header in front.
public struct ReceivedHeader: Sendable, Hashable {
    /// The name the original client gave in EHLO/HELO, if it came over SMTP.
    public var heloName: String?
    /// The original client's IP address.
    public var clientAddress: String?
    /// The name of this Mailpen (its SMTP greeting name).
    public var hostname: String
    /// The protocol the message came in with (see ``protocolName(extendedHello:tls:authenticated:)``).
    public var protocolName: String
    /// The stored message's id.
    public var id: String?
    /// The recipient, named only when there is exactly one (RFC 5321 §7.2: naming several leaks them).
    public var recipient: String?
    public var date: Date

    public init(
        heloName: String?, clientAddress: String?, hostname: String, protocolName: String = "ESMTP", id: String?,
        recipient: String?, date: Date = Date()
    ) {
        self.heloName = heloName
        self.clientAddress = clientAddress
        self.hostname = hostname
        self.protocolName = protocolName
        self.id = id
        self.recipient = recipient
        self.date = date
    }

    /// The `with` keyword of RFC 3848: SMTP for HELO, ESMTP for EHLO, plus S for TLS and A for AUTH.
    public static func protocolName(extendedHello: Bool, tls: Bool, authenticated: Bool) -> String {
        guard extendedHello else { return "SMTP" }
        return "ESMTP" + (tls ? "S" : "") + (authenticated ? "A" : "")
    }

    /// The header field, one clause per line (folded with a tab), ending in CRLF.
    public var field: String {
        var clauses: [String] = []
        let helo = heloName.flatMap(Self.token)
        let literal = clientAddress.flatMap(Self.addressLiteral)
        switch (helo, literal) {
        case (let helo?, let literal?): clauses.append("from \(helo) (\(literal))")
        case (let helo?, nil): clauses.append("from \(helo)")
        case (nil, let literal?): clauses.append("from \(literal)")
        case (nil, nil): break
        }
        var by = "by \(Self.token(hostname) ?? "localhost") (Mailpen) with \(Self.token(protocolName) ?? "ESMTP")"
        if let id = id.flatMap(Self.token) { by += " id \(id)" }
        clauses.append(by)
        if let recipient = recipient.flatMap(Self.sanitizedAddress) { clauses.append("for <\(recipient)>") }
        return "Received: " + clauses.joined(separator: "\r\n\t") + "; " + MIMEDate.string(from: date) + "\r\n"
    }

    /// `message` with this header in front.
    public func prepended(to message: [UInt8]) -> [UInt8] {
        Array(field.utf8) + message
    }

    // MARK: - Making untrusted values safe for a header

    /// Longest name or id put into the header.
    static let maximumTokenLength = 255

    /// `text` if it is a plain token (a domain, an address literal, an id), else `nil`: a HELO name is
    /// whatever a client sent, and must not break the header's structure.
    private static func token(_ text: String) -> String? {
        guard !text.isEmpty, text.utf8.count <= maximumTokenLength,
            text.unicodeScalars.allSatisfy({ scalar in
                ("a"..."z").contains(scalar) || ("A"..."Z").contains(scalar) || ("0"..."9").contains(scalar)
                    || "-._:[]".unicodeScalars.contains(scalar)
            })
        else { return nil }
        return text
    }

    private static func addressLiteral(_ address: String) -> String? {
        guard address.utf8.count <= 64, address.allSatisfy({ $0.isHexDigit || $0 == "." || $0 == ":" }) else {
            return nil
        }
        return address.contains(":") ? "[IPv6:\(address)]" : "[\(address)]"
    }

    private static func sanitizedAddress(_ address: String) -> String? {
        guard !address.isEmpty, address.utf8.count <= 512,
            !address.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F || $0 == "<" || $0 == ">" })
        else { return nil }
        return address
    }

}
