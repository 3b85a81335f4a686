/// What feeding a session its input led to; the sessions' input adapters (`SMTPSessionInput`,
/// `POP3SessionInput`) report it so their NIO handlers and fuzzers drive the machines alike.
public enum InputStep<Action> {
    /// The session took a piece of input and asks for this.
    case act(Action)
    /// Nothing more can be fed now: the input holds no complete piece, or the session is waiting for
    /// something other than input or has closed.
    case waitForInput
}

extension InputStep: Sendable where Action: Sendable {}
