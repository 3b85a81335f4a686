/// A protocol session that takes its commands as lines. It lets one routine, ``LineFramer/feedLine(from:to:)``,
/// hand lines to the SMTP and the POP3 state machines alike.
public protocol LineReceiver {
    /// What the session asks its caller to do after taking a line.
    associatedtype Action

    /// Takes one line, without its line ending.
    mutating func receive(line: some Collection<UInt8>) -> Action

    /// Takes the news that a line exceeded the length limit and was dropped.
    mutating func receiveOverlongLine() -> Action
}

extension LineFramer {
    /// Feeds the line at the start of `input`, if it is complete, to `receiver` (an overlong line as
    /// such). Returns how many bytes of `input` are used up (drop them before the next call) and what to
    /// do next.
    public mutating func feedLine<Receiver: LineReceiver>(
        from input: UnsafeRawBufferPointer, to receiver: inout Receiver
    ) -> (consumed: Int, step: InputStep<Receiver.Action>) {
        switch nextFrame(in: input) {
        case .line(let range, let consumed):
            return (consumed, .act(receiver.receive(line: input[range])))
        case .overlongLine(let consumed):
            return (consumed, .act(receiver.receiveOverlongLine()))
        case .needMoreData(let consumed):
            return (consumed, .waitForInput)
        }
    }
}
