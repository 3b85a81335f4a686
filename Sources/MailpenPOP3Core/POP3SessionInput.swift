import MailpenLineFraming

/// Hands a session's buffered input to its state machine one line at a time, as its input mode allows.
/// The NIO handler and the fuzzer (`Tests/Fuzz/POP3/POP3SessionFuzzer.swift`) both feed the machine through it,
/// so the fuzzer exercises the framing the server uses.
public struct POP3SessionInput: Sendable {
    private var framer: LineFramer

    public init(maximumLineLength: Int) {
        framer = LineFramer(maximumLength: maximumLineLength)
    }

    /// Framing with the line limit of a session's configuration.
    public init(configuration: POP3SessionStateMachine.Configuration) {
        self.init(maximumLineLength: configuration.maximumLineLength)
    }

    /// What feeding the machine led to.
    public typealias Step = InputStep<POP3SessionStateMachine.Action>

    /// Feeds the machine the line at the front of `input` when it takes one. Returns how many bytes of
    /// `input` are used up (drop them before the next call) and what to do next.
    public mutating func feed(
        _ input: UnsafeRawBufferPointer, to machine: inout POP3SessionStateMachine
    ) -> (consumed: Int, step: Step) {
        guard machine.inputMode == .commandLine || machine.inputMode == .authenticationResponse else {
            return (0, .waitForInput)
        }
        return framer.feedLine(from: input, to: &machine)
    }
}

// The machine's `receive(line:)` and `receiveOverlongLine()` are what the framer feeds.
extension POP3SessionStateMachine: LineReceiver {}
