/// Hands a session's buffered input to its state machine one line at a time, as its input mode allows.
/// The NIO handler and the fuzzer (`Tests/Fuzz/POP3/POP3SessionFuzzer.swift`) both feed the machine through it,
/// so the fuzzer exercises the framing the server uses.
public struct POP3SessionInput: Sendable {
    private var framer: POP3LineFramer

    public init(maximumLineLength: Int) {
        framer = POP3LineFramer(maximumLength: maximumLineLength)
    }

    /// Framing with the line limit of a session's configuration.
    public init(configuration: POP3SessionStateMachine.Configuration) {
        self.init(maximumLineLength: configuration.maximumLineLength)
    }

    /// What feeding the machine led to.
    public enum Step: Sendable {
        /// The machine took a line and asks for this.
        case act(POP3SessionStateMachine.Action)
        /// Nothing more can be fed now: no complete line is buffered, or the machine waits for the caller
        /// or has closed.
        case waitForInput
    }

    /// Feeds the machine from the front of `input`. Returns how many bytes of `input` are used up (drop
    /// them before the next call) and what to do next.
    public mutating func feed(
        _ input: UnsafeRawBufferPointer, to machine: inout POP3SessionStateMachine
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
        case .suspended, .closed:
            return (0, .waitForInput)
        }
    }
}
