import Foundation
import Testing

@testable import MailpenOutbound

@Suite("Received header")
struct ReceivedHeaderTests {
    static let date = Date(timeIntervalSince1970: 1_752_573_600)  // Tue, 15 Jul 2025 10:00:00 UTC

    @Test func fullHeaderIsFoldedOneClausePerLine() {
        let header = ReceivedHeader(
            heloName: "client.example", clientAddress: "192.0.2.1", hostname: "mailpen.local",
            protocolName: ReceivedHeader.protocolName(extendedHello: true, tls: true, authenticated: false),
            id: "01J2ABC", recipient: "someone@example.com", date: Self.date)
        #expect(
            header.field
                == "Received: from client.example ([192.0.2.1])\r\n\tby mailpen.local (Mailpen) with ESMTPS id 01J2ABC\r\n"
                + "\tfor <someone@example.com>; Tue, 15 Jul 2025 10:00:00 +0000\r\n")
        for line in header.field.components(separatedBy: "\r\n") {
            #expect(line.utf8.count <= 78)
        }
    }

    @Test func protocolNames() {
        #expect(ReceivedHeader.protocolName(extendedHello: false, tls: true, authenticated: true) == "SMTP")
        #expect(ReceivedHeader.protocolName(extendedHello: true, tls: false, authenticated: false) == "ESMTP")
        #expect(ReceivedHeader.protocolName(extendedHello: true, tls: false, authenticated: true) == "ESMTPA")
        #expect(ReceivedHeader.protocolName(extendedHello: true, tls: true, authenticated: true) == "ESMTPSA")
    }

    @Test func withoutClientOrRecipient() {
        let header = ReceivedHeader(
            heloName: nil, clientAddress: "::1", hostname: "mailpen.local", id: nil, recipient: nil, date: Self.date)
        #expect(
            header.field
                == "Received: from [IPv6:::1]\r\n\tby mailpen.local (Mailpen) with ESMTP; Tue, 15 Jul 2025 10:00:00 +0000\r\n"
        )
        let bare = ReceivedHeader(
            heloName: nil, clientAddress: nil, hostname: "h", id: "1", recipient: nil, date: Self.date)
        #expect(bare.field == "Received: by h (Mailpen) with ESMTP id 1; Tue, 15 Jul 2025 10:00:00 +0000\r\n")
    }

    @Test func hostileValuesCannotBreakTheHeader() {
        let header = ReceivedHeader(
            heloName: "evil\r\nBcc: victim@example.com", clientAddress: "1.2.3.4\r\nX: y", hostname: "mailpen.local",
            id: "id; (comment)", recipient: "a@b>\r\nX-Injected: 1", date: Self.date)
        let field = header.field
        #expect(field == "Received: by mailpen.local (Mailpen) with ESMTP; Tue, 15 Jul 2025 10:00:00 +0000\r\n")
        #expect(field.components(separatedBy: "\r\n").filter { !$0.isEmpty && !$0.hasPrefix("\t") }.count == 1)
    }

    @Test func prependKeepsTheMessageBytes() {
        let message: [UInt8] = Array("Subject: x\r\n\r\n".utf8) + [0xFF, 0x00, 0x0A]
        let header = ReceivedHeader(
            heloName: "c", clientAddress: nil, hostname: "h", id: nil, recipient: nil, date: Self.date)
        let combined = header.prepended(to: message)
        #expect(Array(combined.suffix(message.count)) == message)
        #expect(Array(combined.prefix(combined.count - message.count)) == Array(header.field.utf8))
    }
}
