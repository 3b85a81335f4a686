import MailpenLineFraming
import MailpenSASL
import Testing

@testable import MailpenPOP3Core

@Suite("POP3 session input")
struct POP3SessionInputTests {
    /// Feeds `bytes` in reads of `size` octets and collects every status line the machine sends.
    static func statuses(for bytes: [UInt8], readSize: Int, maximumLineLength: Int = 32) -> [String] {
        var machine = POP3SessionStateMachine(
            configuration: .init(hostname: "pop.test", maximumLineLength: maximumLineLength),
            connection: .init(isLoopback: true))
        var input = POP3SessionInput(maximumLineLength: maximumLineLength)
        var buffer: [UInt8] = []
        var out: [String] = []
        if case .send(let greeting) = machine.connectionOpened() { out.append(greeting.statusLine) }
        var start = 0
        while start < bytes.count {
            let end = min(bytes.count, start + readSize)
            buffer += bytes[start..<end]
            start = end
            while true {
                let (consumed, step) = buffer.withUnsafeBytes { input.feed($0, to: &machine) }
                buffer.removeFirst(consumed)
                guard case .act(let action) = step else { break }
                switch action {
                case .send(let response), .sendAndClose(let response): out.append(response.statusLine)
                case .checkCredentials: out.append("check")
                default: out.append("other")
                }
            }
        }
        return out
    }

    @Test(arguments: [1, 2, 3, 7, 64])
    func theOutcomeDoesNotDependOnHowInputIsCut(readSize: Int) {
        let session = Array(("NOOP\r\nCAPA\nUSER bob\r\n" + String(repeating: "x", count: 40) + "\r\nPASS pw\r\n").utf8)
        #expect(Self.statuses(for: session, readSize: readSize) == Self.statuses(for: session, readSize: session.count))
    }

    @Test func anOverlongLineIsReportedOnceAndDropped() {
        let session = Array(("USER " + String(repeating: "y", count: 100) + "\r\nUSER bob\r\n").utf8)
        #expect(
            Self.statuses(for: session, readSize: 5) == [
                "+OK pop.test Mailpen POP3 ready", "-ERR line too long", "+OK send PASS",
            ])
    }

    @Test(arguments: [1, 2, 33])
    func aLineOfExactlyTheLimitIsALine(readSize: Int) {
        let line = "USER " + String(repeating: "z", count: 27)  // 32 octets
        let statuses = Self.statuses(for: Array((line + "\r\n").utf8), readSize: readSize)
        #expect(statuses.last == "+OK send PASS")
    }
}
