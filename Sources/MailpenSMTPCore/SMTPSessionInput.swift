import MailpenLineFraming

/// Hands a session's buffered input to its state machine in the pieces the machine's input mode asks
/// for: a command line or SASL response (framed by a ``LineFramer``), or message bytes. The NIO handler
/// and the SMTP fuzzer both feed the machine through it, so the fuzzer exercises the framing the
/// server uses.
public struct SMTPSessionInput: Sendable {
    private var framer: LineFramer

    /// `maximumLineLength` is the longest command line or SASL response taken, without its line ending.
    public init(maximumLineLength: Int) {
        framer = LineFramer(maximumLength: maximumLineLength)
    }

    /// What feeding the machine led to.
    public typealias Step = InputStep<SMTPSessionStateMachine.Action>

    /// Feeds the machine from the front of `input`: a line, or as much message data as it takes. Returns
    /// how many bytes of `input` are used up (drop them before the next call) and what to do next.
    public mutating func feed(
        _ input: UnsafeRawBufferPointer, to machine: inout SMTPSessionStateMachine
    ) -> (consumed: Int, step: Step) {
        switch machine.inputMode {
        case .commandLine, .authenticationResponse:
            return framer.feedLine(from: input, to: &machine)
        case .messageData, .chunk:
            let (consumed, action) = machine.receive(messageBytes: input)
            return (consumed, .act(action))
        case .suspended, .closed:
            return (0, .waitForInput)
        }
    }
}

// The machine's `receive(line:)` and `receiveOverlongLine()` are what the framer feeds.
extension SMTPSessionStateMachine: LineReceiver {}
