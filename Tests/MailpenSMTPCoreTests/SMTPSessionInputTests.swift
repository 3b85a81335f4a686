import MailpenLineFraming
import Testing

@testable import MailpenSMTPCore

@Suite("Session input")
struct SMTPSessionInputTests {
    /// Feeds `text` to a fresh session in reads of `readSize` bytes; returns the codes of each action that
    /// does something, with a delivery shown as its message and answered as accepted.
    private func transcript(_ text: String, readSize: Int) -> [String] {
        var machine = SMTPSessionStateMachine(configuration: .init(hostname: "mx.test"), challengeNonce: "n")
        var input = SMTPSessionInput(maximumLineLength: 64)
        var result = ["\(machine.connectionOpened().codes)"]
        var buffer: [UInt8] = []
        for read in Array(text.utf8).chunks(of: readSize) {
            buffer += read
            while !buffer.isEmpty {
                let (consumed, step) = buffer.withUnsafeBytes { input.feed($0, to: &machine) }
                buffer.removeFirst(consumed)
                guard case .act(let action) = step else { break }
                if case .none = action { continue }
                if let transaction = action.transaction {
                    result.append(String(decoding: transaction.message, as: UTF8.self))
                    result.append("\(machine.deliveryCompleted(.accepted(id: "id")).codes)")
                } else {
                    result.append("\(action.codes)")
                }
            }
        }
        return result
    }

    @Test func sameActionsWhateverTheReadSizes() {
        let session = """
            EHLO client\r\nMAIL FROM:<a@example.com>\r\nRCPT TO:<b@example.com>\r\nDATA\r\n\
            Subject: x\r\n\r\n..stuffed\r\n.\r\n\
            MAIL FROM:<a@example.com>\r\nRCPT TO:<b@example.com>\r\nBDAT 5 LAST\r\nhello\
            \(String(repeating: "A", count: 80))\r\nNOOP \(String(repeating: "x", count: 59))\r\nQUIT\r\n
            """
        let whole = transcript(session, readSize: session.utf8.count)
        #expect(
            whole == [
                "[220]", "[250]", "[250]", "[250]", "[354]", "Subject: x\r\n\r\n.stuffed\r\n", "[250]",
                "[250]", "[250]", "hello", "[250]", "[500]", "[250]", "[221]",
            ])
        for readSize in [1, 2, 3, 7, 64] {
            #expect(transcript(session, readSize: readSize) == whole, "reads of \(readSize) bytes")
        }
    }
}

extension Array {
    fileprivate func chunks(of size: Int) -> [ArraySlice<Element>] {
        stride(from: 0, to: count, by: size).map { self[$0..<Swift.min($0 + size, count)] }
    }
}
