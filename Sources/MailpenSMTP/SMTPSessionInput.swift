/// Hands a session's buffered input to its state machine in the pieces the machine's input mode asks
/// for: a command line or SASL response (framed by a ``LineFramer``), or message bytes. The NIO handler
/// and the fuzzer (`Tests/Fuzz/SMTPSessionFuzzer.swift`) both feed the machine through it, so the fuzzer
/// exercises the framing the server uses.
struct SMTPSessionInput: Sendable {
    private var framer: LineFramer

    init(maximumLineLength: Int) {
        framer = LineFramer(maximumLength: maximumLineLength)
    }

    /// Feeds the machine from the front of `input`. Returns how many bytes of `input` are used up (drop
    /// them before the next call) and the machine's action, or `nil` when nothing more can be fed now:
    /// the input holds no complete line, or the machine is waiting for something other than input.
    mutating func feed(
        _ input: UnsafeRawBufferPointer, to machine: inout SMTPSessionStateMachine
    ) -> (consumed: Int, action: SMTPSessionStateMachine.Action?) {
        switch machine.inputMode {
        case .commandLine, .authenticationResponse:
            switch framer.nextFrame(in: input) {
            case .line(let range, let consumed):
                return (consumed, machine.receive(line: input[range]))
            case .overlongLine(let consumed):
                return (consumed, machine.receiveOverlongLine())
            case .needMoreData(let consumed):
                return (consumed, nil)
            }
        case .messageData, .chunk:
            let (consumed, action) = machine.receive(messageBytes: input)
            return (consumed, action)
        case .suspended, .closed:
            return (0, nil)
        }
    }
}
