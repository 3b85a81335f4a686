// libFuzzer entry point for the SMTP session: the state machine fed through SMTPSessionInput, as the server
// feeds it. The SwiftPM product `smtp-fuzzer` (`make fuzz-smtp`), built from MailpenSMTPCore alone, seeded
// with fixtures/smtp. Any crash, sanitizer report, timeout or broken invariant is a bug:
// - every reply is well formed (a code of 200–599, an enhanced code of the same class, no CR or LF inside a
//   line, at most 512 octets a line with its CRLF);
// - a delivered message respects the size and recipient limits;
// - once the machine has closed the session, nothing it is told (more input, a timer, a late delivery or
//   credential check) makes it act again;
// - the outcome does not depend on how the input is cut into reads (up to a STARTTLS, which drops what
//   was pipelined after it, so what follows depends on the reads);
// - every line of the input parses to the same command or error by the command parser's byte-level path
//   as by its text path.
//
// The first input byte sets the session's options: 0x01 offers STARTTLS, 0x02 names a web URL in HELP,
// 0x08 rejects deliveries, 0x10 accepts AUTH, 0x20 refuses the connection (too many connections), 0x40
// stops at every stage for a decision (0x80 then refuses every second stage and drops every third). The
// rest is what the client sends.
import MailpenLineFraming
import MailpenSMTPCore

/// One simulated connection: what the server replied and delivered, in order.
struct SimulatedSession {
    private(set) var transcript: [String] = []
    private(set) var droppedInputForTLS = false
    private var machine: SMTPSessionStateMachine
    private var input = SMTPSessionInput(maximumLineLength: 512)
    private var buffer: [UInt8] = []
    private var isClosed = false
    private var consultations = 0
    private let options: UInt8

    static let maximumMessageSize = 2048
    static let maximumRecipients = 4

    init(options: UInt8) {
        self.options = options
        machine = SMTPSessionStateMachine(
            configuration: .init(
                hostname: "fuzz.example", maximumMessageSize: Self.maximumMessageSize,
                maximumRecipients: Self.maximumRecipients, maximumErrors: 8, offersStartTLS: options & 1 != 0,
                helpURL: options & 2 != 0 ? "http://fuzz.example:8025/" : nil, consultsAtStages: options & 0x40 != 0),
            challengeNonce: "fuzz")
        perform(machine.connectionOpened(accepting: options & 0x20 == 0))
    }

    /// Runs `bytes` through a session, cut into reads of the given sizes (the last read takes the rest).
    static func run(_ bytes: [UInt8], options: UInt8, readSizes: some Sequence<Int>) -> SimulatedSession {
        var session = SimulatedSession(options: options)
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

    /// Everything a closed session may still be told: none of it may make the machine act.
    private mutating func expectSilenceAfterClosing(_ rest: ArraySlice<UInt8>) {
        precondition(isClosed, "the session is still open")
        let late: [SMTPSessionStateMachine.Action] = [
            machine.idleTimeoutExpired(), machine.shutdownGraceExpired(),
            machine.deliveryCompleted(.accepted(id: "late")), machine.credentialsChecked(accepted: true),
            machine.credentialsCouldNotBeChecked(),
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

    private mutating func perform(_ action: SMTPSessionStateMachine.Action) {
        if isClosed, case .none = action { return }
        precondition(!isClosed, "the machine acted after closing the session: \(action)")
        switch action {
        case .none:
            break
        case .reply(let reply):
            record(reply)
        case .replyAndClose(let replies):
            for reply in replies { record(reply) }
            isClosed = true
            precondition(machine.inputMode == .closed, "closing replies, but the machine takes input")
        case .replyAndStartTLS(let reply):
            record(reply)
            // The server drops what was pipelined after STARTTLS, then the handshake completes.
            droppedInputForTLS = droppedInputForTLS || !buffer.isEmpty
            buffer.removeAll()
            transcript.append("tls")
            perform(machine.tlsEstablished(version: "TLSv1.3"))
        case .deliver(let transaction):
            precondition(transaction.message.count <= Self.maximumMessageSize, "delivered over the size limit")
            precondition(!transaction.envelope.recipients.isEmpty, "delivered without recipients")
            precondition(transaction.envelope.recipients.count <= Self.maximumRecipients, "over the recipient limit")
            transcript.append("deliver \(transaction.message.count) \(fingerprint(transaction.message))")
            let result: SMTPDeliveryResult =
                options & 8 != 0 ? .rejected(SMTPReply(451, "4.3.0", "Error: try again")) : .accepted(id: "fuzz")
            perform(machine.deliveryCompleted(result))
        case .checkCredentials(let credentials):
            transcript.append("auth \(credentials.username)")
            perform(machine.credentialsChecked(accepted: options & 16 != 0))
        case .consult(let check):
            consultations += 1
            transcript.append("consult \(check.stage.rawValue)")
            var verdict = SMTPStageVerdict.proceed
            if options & 0x80 != 0 {
                if consultations % 3 == 0 {
                    verdict = .disconnect
                } else if consultations % 2 == 0 {
                    verdict = .refuse(SMTPReply(451, "4.3.0", "Chaos"))
                }
            }
            perform(machine.stageDecided(verdict))
        }
    }

    private mutating func record(_ reply: SMTPReply) {
        precondition((200...599).contains(reply.code), "reply code \(reply.code)")
        if let enhanced = reply.enhancedCode {
            precondition(enhanced.first == String(reply.code).first, "enhanced code \(enhanced) for \(reply.code)")
        }
        for line in reply.lines {
            precondition(!line.utf8.contains(13) && !line.utf8.contains(10), "CR or LF inside a reply line")
        }
        for line in reply.wireFormat.utf8.split(separator: 10) {
            precondition(line.count + 1 <= SMTPReply.maximumLineLength, "a reply line of \(line.count + 1) octets")
        }
        transcript.append(reply.wireFormat)
    }

    private func fingerprint(_ bytes: [UInt8]) -> UInt64 {
        bytes.reduce(14_695_981_039_346_656_037) { ($0 ^ UInt64($1)) &* 1_099_511_628_211 }
    }
}

@_cdecl("LLVMFuzzerTestOneInput")
public func smtpSessionFuzzerTestOneInput(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    guard size > 0 else { return 0 }
    let options = data[0]
    let bytes = Array(UnsafeBufferPointer(start: data + 1, count: size - 1))
    let whole = SimulatedSession.run(bytes, options: options, readSizes: [bytes.count])
    // Reads of 1 to 64 bytes, their sizes drawn from the input itself.
    let sizes = bytes.indices.lazy.map { Int(bytes[$0] ^ UInt8(truncatingIfNeeded: $0 &* 31)) % 64 + 1 }
    let pieces = SimulatedSession.run(bytes, options: options, readSizes: sizes)
    var expected = whole.transcript
    var actual = pieces.transcript
    if whole.droppedInputForTLS || pieces.droppedInputForTLS {
        // What follows the handshake depends on which bytes arrived with the STARTTLS.
        expected = Array(expected.prefix { $0 != "tls" })
        actual = Array(actual.prefix { $0 != "tls" })
    }
    if expected != actual {
        fatalError("the outcome depends on how the input is cut:\n\(whole.transcript)\nvs\n\(pieces.transcript)")
    }
    for line in bytes.split(separator: 10, omittingEmptySubsequences: false) {
        let line = line.last == 13 ? line.dropLast() : line
        let fast = Result { () throws(SMTPCommandError) in try SMTPCommandParser.parse(line) }
        let text = Result { () throws(SMTPCommandError) in try SMTPCommandParser.parseAsText(line) }
        precondition(fast == text, "the command parser's two paths differ on \(Array(line)): \(fast) vs \(text)")
    }
    return 0
}

#if !FUZZING
    /// A plain build makes this stub, so that the package links without libFuzzer; `make fuzz-smtp` builds the
    /// fuzzer (with -DFUZZING, where libFuzzer supplies `main`).
    @main
    enum SMTPFuzzerStub {
        static func main() {
            print("smtp-fuzzer is built without libFuzzer: run `make fuzz-smtp` for the fuzzer")
        }
    }
#endif
