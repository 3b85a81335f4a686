import Foundation
import Testing

@testable import MailpenOutbound

@Suite("DATA encoding")
struct SMTPDataEncodingTests {
    private func encode(_ text: String) -> String {
        String(decoding: SMTPDataEncoding.encode(Array(text.utf8)), as: UTF8.self)
    }

    @Test func crlfMessageIsUnchangedButForDotStuffing() {
        let message = "Subject: x\r\n\r\n.leading\r\n..two\r\n.\r\nmiddle . dot\r\n"
        #expect(encode(message) == "Subject: x\r\n\r\n..leading\r\n...two\r\n..\r\nmiddle . dot\r\n.\r\n")
    }

    @Test func crlfMessageWithoutDotsIsByteIdentical() {
        var message: [UInt8] = Array("Subject: exact\r\n\r\n".utf8) + [0xE9, 0xFF, 0x80, 0x09, 0x20, 0x00]
        message += Array("  trailing spaces   \r\nend\r\n".utf8)
        #expect(Array(SMTPDataEncoding.encode(message).dropLast(3)) == message)
        #expect(SMTPDataEncoding.messageSize(of: message) == message.count)
    }

    @Test func lastLineGetsALineEnding() {
        #expect(encode("a\r\nlast") == "a\r\nlast\r\n.\r\n")
        #expect(encode(".") == "..\r\n.\r\n")
        #expect(encode("") == ".\r\n")
    }

    @Test func bareLineEndsBecomeCRLF() {
        #expect(encode("a\nb\rc\r\n\n.d\r") == "a\r\nb\r\nc\r\n\r\n..d\r\n.\r\n")
    }

    @Test func smugglingSequencesCannotEndTheData() {
        // A bare-LF or bare-CR "end of data" inside the message must not reach the server as one.
        let encoded = encode("x\n.\nMAIL FROM:<evil>\r\n\r.\r")
        #expect(encoded == "x\r\n..\r\nMAIL FROM:<evil>\r\n\r\n..\r\n.\r\n")
        #expect(encoded.components(separatedBy: "\r\n.\r\n").count == 2, "only the real end of data")
    }

    @Test func sizeCountsCRLFsButNotStuffing() {
        #expect(SMTPDataEncoding.messageSize(of: Array(".a\nb".utf8)) == ".a\r\nb\r\n".utf8.count)
        #expect(SMTPDataEncoding.messageSize(of: Array(".\r\n".utf8)) == 3)
    }

    @Test func eightBitDetection() {
        #expect(!SMTPDataEncoding.needs8BitTransport(Array("plain ascii\r\n".utf8)))
        #expect(SMTPDataEncoding.needs8BitTransport(Array("Ümlaut\r\n".utf8)))
    }
}
