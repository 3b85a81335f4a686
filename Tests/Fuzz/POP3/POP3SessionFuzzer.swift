import MailpenLineFraming
import MailpenPOP3Core
// libFuzzer entry point for the POP3 session: the state machine fed through POP3SessionInput, as a server
// feeds it. The SwiftPM product `pop3-fuzzer` (`make fuzz-pop3`), built from MailpenPOP3Core alone,
// seeded with fixtures/pop3. Any crash, sanitizer report, timeout or broken invariant is a bug:
// - every response is well formed: a status line starting `+OK`, `-ERR` or `+ ` with no CR or LF inside
//   it, and a multi-line body whose lines all end in CRLF, with no bare CR or LF, ending in `.` CRLF;
// - a RETR body, unstuffed, is the message with CRLF line endings;
// - deletions reach the caller only at QUIT, each message at most once;
// - once the machine has closed the session, nothing it is told makes it act again;
// - the outcome does not depend on how the input is cut into reads (up to an STLS, which drops what was
//   pipelined after it).
//
// The first input byte sets the session's options: 0x01 offers STLS, 0x02 the client is on loopback,
// 0x04 accepts credentials, 0x08 the maildrop is locked, 0x10 the update fails, 0x20 marks read instead
// of deleting, 0x40 a message vanishes before RETR. The rest is what the client sends.
import MailpenSASL

struct SimulatedPOP3Session {
    private(set) var transcript: [String] = []
    private(set) var droppedInputForTLS = false
    private var machine: POP3SessionStateMachine
    private var input = POP3SessionInput(maximumLineLength: 255)
    private var buffer: [UInt8] = []
    private var isClosed = false
    private let options: UInt8

    static let messages: [(id: String, raw: [UInt8])] = [
        ("0001", Array("Subject: a\r\n\r\n.line\r\n..two\r\nend".utf8)),
        ("0002", Array("Subject: b\n\nbare\nlf\r\n.\r\n".utf8)),
        ("0003", Array("Subject: c\r\nX: y\r\n\r\n".utf8)),
    ]

    init(options: UInt8) {
        self.options = options
        machine = POP3SessionStateMachine(
            configuration: .init(
                hostname: "fuzz.example", offersSTLS: options & 1 != 0,
                deletionMode: options & 0x20 != 0 ? .markRead : .delete, maximumLineLength: 255, maximumErrors: 8),
            connection: .init(isLoopback: options & 2 != 0))
        perform(machine.connectionOpened())
    }

    static func run(_ bytes: [UInt8], options: UInt8, readSizes: some Sequence<Int>) -> SimulatedPOP3Session {
        var session = SimulatedPOP3Session(options: options)
        var start = 0
        var sizes = readSizes.makeIterator()
        while start < bytes.count, !session.isClosed {
            let end = min(bytes.count, start + max(1, sizes.next() ?? bytes.count))
            session.receive(bytes[start..<end])
            start = end
        }
        if !session.isClosed { session.perform(session.machine.idleTimeoutExpired()) }
        session.expectSilenceAfterClosing(bytes[start...])
        return session
    }

    private mutating func expectSilenceAfterClosing(_ rest: ArraySlice<UInt8>) {
        precondition(isClosed, "the session is still open")
        let late: [POP3SessionStateMachine.Action] = [
            machine.idleTimeoutExpired(), machine.shutdownRequested(), machine.credentialsChecked(accepted: true),
            machine.credentialsCouldNotBeChecked(),
            machine.maildropOpened(.opened([])), machine.messageLoaded([1]), machine.updateCompleted(succeeded: true),
            machine.receive(line: Array("QUIT".utf8)),
        ]
        for action in late {
            guard case .none = action else { preconditionFailure("a closed session acted: \(action)") }
        }
        let (consumed, step) = Array(rest).withUnsafeBytes { input.feed($0, to: &machine) }
        guard consumed == 0, case .waitForInput = step else { preconditionFailure("a closed session took input") }
    }

    private mutating func receive(_ read: ArraySlice<UInt8>) {
        buffer.append(contentsOf: read)
        while !isClosed, !buffer.isEmpty {
            let (consumed, step) = buffer.withUnsafeBytes { input.feed($0, to: &machine) }
            buffer.removeFirst(consumed)
            guard case .act(let action) = step else { break }
            perform(action)
        }
    }

    private var lastRetrieved: [UInt8]?
    private var deletedSoFar: Set<String> = []

    private mutating func perform(_ action: POP3SessionStateMachine.Action) {
        if isClosed, case .none = action { return }
        precondition(!isClosed, "the machine acted after closing the session: \(action)")
        switch action {
        case .none:
            break
        case .send(let response):
            record(response)
        case .sendAndClose(let response):
            record(response)
            close()
        case .close:
            transcript.append("close")
            close()
        case .startTLS(let response):
            record(response)
            droppedInputForTLS = droppedInputForTLS || !buffer.isEmpty
            buffer.removeAll()
            transcript.append("tls")
            perform(machine.tlsEstablished())
        case .checkCredentials(let credentials):
            transcript.append("auth \(credentials.username)")
            perform(machine.credentialsChecked(accepted: options & 4 != 0))
        case .openMaildrop:
            let result: POP3MaildropResult =
                options & 8 != 0
                ? .locked : .opened(Self.messages.map { POP3MaildropMessage(id: $0.id, size: $0.raw.count) })
            perform(machine.maildropOpened(result))
        case .loadMessage(let id):
            precondition(machine.inputMode == .suspended, "reading input while a message loads")
            let raw = options & 0x40 != 0 && id == "0002" ? nil : Self.messages.first { $0.id == id }?.raw
            lastRetrieved = raw
            perform(machine.messageLoaded(raw))
        case .update(let update):
            precondition(Set(update.messageIDs).count == update.messageIDs.count, "a message deleted twice")
            transcript.append("update \(update.messageIDs) \(update.mode)")
            perform(machine.updateCompleted(succeeded: options & 0x10 == 0))
        }
    }

    private mutating func close() {
        isClosed = true
        precondition(machine.inputMode == .closed, "closing, but the machine takes input")
    }

    private mutating func record(_ response: POP3Response) {
        let status = response.statusLine
        precondition(
            status.hasPrefix("+OK") || status.hasPrefix("-ERR") || status.hasPrefix("+ "), "status line \(status)")
        precondition(!status.utf8.contains(13) && !status.utf8.contains(10), "CR or LF inside a status line")
        precondition(status.utf8.count + 2 <= 512, "a status line over 512 octets")
        if let body = response.body {
            precondition(response.status == .ok, "a body after \(status)")
            let unstuffed = Self.checkedBody(body)
            // A RETR body is the message with CRLF line endings.
            if status.hasSuffix(" octets"), let raw = lastRetrieved {
                precondition(unstuffed == Self.crlf(raw), "RETR returned other bytes than the message's")
            }
        }
        transcript.append(String(decoding: response.wireFormat, as: UTF8.self))
    }

    /// Checks a multi-line body's framing; returns it unstuffed, without its terminator.
    static func checkedBody(_ body: [UInt8]) -> [UInt8] {
        precondition(body.suffix(3) == [UInt8(ascii: "."), 13, 10], "a body not ending in . CRLF")
        var out: [UInt8] = []
        var index = 0
        while index < body.count - 3 {
            var end = index
            while body[end] != 10 { end += 1 }
            precondition(end > index && body[end - 1] == 13, "a body line without CRLF")
            var line = Array(body[index..<(end - 1)])
            precondition(!line.contains(13) && !line.contains(10), "a bare CR or LF in a body line")
            precondition(line != [UInt8(ascii: ".")], "a body line that ends the body early")
            if line.first == UInt8(ascii: ".") {
                line.removeFirst()
            }
            out += line + [13, 10]
            index = end + 1
        }
        return out
    }

    static func crlf(_ raw: [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        var index = 0
        while index < raw.count {
            if raw[index] == 13 || raw[index] == 10 {
                if raw[index] == 13 && index + 1 < raw.count && raw[index + 1] == 10 { index += 1 }
                out += [13, 10]
            } else {
                out.append(raw[index])
            }
            index += 1
        }
        if out.suffix(2) != [13, 10] { out += [13, 10] }
        return out
    }
}

@_cdecl("LLVMFuzzerTestOneInput")
public func pop3SessionFuzzerTestOneInput(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    guard size > 0 else { return 0 }
    let options = data[0]
    let bytes = Array(UnsafeBufferPointer(start: data + 1, count: size - 1))
    let whole = SimulatedPOP3Session.run(bytes, options: options, readSizes: [bytes.count])
    let sizes = bytes.indices.lazy.map { Int(bytes[$0] ^ UInt8(truncatingIfNeeded: $0 &* 31)) % 64 + 1 }
    let pieces = SimulatedPOP3Session.run(bytes, options: options, readSizes: sizes)
    var expected = whole.transcript
    var actual = pieces.transcript
    if whole.droppedInputForTLS || pieces.droppedInputForTLS {
        expected = Array(expected.prefix { $0 != "tls" })
        actual = Array(actual.prefix { $0 != "tls" })
    }
    if expected != actual {
        fatalError("the outcome depends on how the input is cut:\n\(whole.transcript)\nvs\n\(pieces.transcript)")
    }
    return 0
}

#if !FUZZING
    /// A plain build makes this stub, so that the package links without libFuzzer; `make fuzz-pop3` builds the
    /// fuzzer (with -DFUZZING, where libFuzzer supplies `main`).
    @main
    enum POP3FuzzerStub {
        static func main() {
            print("pop3-fuzzer is built without libFuzzer: run `make fuzz-pop3` for the fuzzer")
        }
    }
#endif
