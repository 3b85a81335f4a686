// libFuzzer entry point for the SMTP session: the state machine fed through SMTPSessionInput, as the server
// feeds it. Built from the pure sources of MailpenSMTP directly (not by SwiftPM; see `make fuzz-smtp`),
// seeded with fixtures/smtp. Any crash, sanitizer report, timeout or broken invariant is a bug:
// - every reply is well formed (a code of 200–599, an enhanced code of the same class, no CR or LF in a line);
// - a delivered message respects the size and recipient limits;
// - nothing is asked of the machine after it closed the session;
// - the outcome does not depend on how the input is cut into reads (unless STARTTLS dropped input).
//
// The first input byte sets the session's options and how deliveries and AUTH checks turn out; the rest
// is what the client sends.

/// One simulated connection: what the server replied and delivered, in order.
struct SimulatedSession {
    private(set) var transcript: [String] = []
    private(set) var droppedInputForTLS = false
    private var machine: SMTPSessionStateMachine
    private var input = SMTPSessionInput(maximumLineLength: 512)
    private var buffer: [UInt8] = []
    private var isClosed = false
    private let options: UInt8

    static let maximumMessageSize = 2048
    static let maximumRecipients = 4

    init(options: UInt8) {
        self.options = options
        machine = SMTPSessionStateMachine(
            configuration: .init(
                hostname: "fuzz.example", maximumMessageSize: Self.maximumMessageSize,
                maximumRecipients: Self.maximumRecipients, maximumErrors: 8, offersStartTLS: options & 1 != 0),
            challengeNonce: "fuzz")
        perform(machine.connectionOpened(accepting: options & 2 != 0 || options & 4 != 0))
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
        return session
    }

    private mutating func receive(_ read: ArraySlice<UInt8>) {
        buffer.append(contentsOf: read)
        while !isClosed, !buffer.isEmpty {
            var machine = self.machine
            let (consumed, action) = buffer.withUnsafeBytes { input.feed($0, to: &machine) }
            self.machine = machine
            buffer.removeFirst(consumed)
            guard let action else { break }
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
            replies.forEach { record($0) }
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
    if !whole.droppedInputForTLS && !pieces.droppedInputForTLS && whole.transcript != pieces.transcript {
        fatalError("the outcome depends on how the input is cut:\n\(whole.transcript)\nvs\n\(pieces.transcript)")
    }
    return 0
}
