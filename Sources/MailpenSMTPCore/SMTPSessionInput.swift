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
    public enum Step: Sendable {
        /// The machine took a piece of input and asks for this.
        case act(SMTPSessionStateMachine.Action)
        /// Nothing more can be fed now: the input holds no complete line, or the machine is waiting for
        /// something other than input (a delivery, a credential check, the TLS handshake) or has closed.
        case waitForInput
    }

    /// Feeds the machine from the front of `input`. Returns how many bytes of `input` are used up (drop
    /// them before the next call) and what to do next.
    public mutating func feed(
        _ input: UnsafeRawBufferPointer, to machine: inout SMTPSessionStateMachine
    ) -> (consumed: Int, step: Step) {
        switch machine.inputMode {
        case .commandLine, .authenticationResponse:
            switch framer.nextFrame(in: input) {
            case .line(let range, let consumed):
                return (consumed, .act(machine.receive(line: input[range])))
            case .overlongLine(let consumed):
                return (consumed, .act(machine.receiveOverlongLine()))
            case .needMoreData(let consumed):
                return (consumed, .waitForInput)
            }
        case .messageData, .chunk:
            let (consumed, action) = machine.receive(messageBytes: input)
            return (consumed, .act(action))
        case .suspended, .closed:
            return (0, .waitForInput)
        }
    }
}
