/// Frames a session's buffered input for its state machine: whole commands with their literals in
/// ``IMAPSessionStateMachine/InputMode/command`` mode (asking the machine about each literal, so a
/// synchronizing one gets its `+` continuation before the client sends it), single lines in
/// ``IMAPSessionStateMachine/InputMode/line`` mode. Lines and commands over the configured limits are
/// dropped without being buffered. The NIO handler and the fuzzer (`Tests/Fuzz/IMAP/IMAPSessionFuzzer.swift`)
/// both feed the machine through it, so the fuzzer exercises the framing the server uses.
public struct IMAPSessionInput: Sendable {
    private let maximumLineLength: Int
    private let maximumCommandSize: Int
    /// The command gathered so far: its lines with their CRLFs, and its literals.
    private var command: [UInt8] = []
    /// Literal octets still to come.
    private var literalRemaining = 0
    /// Set while a refused non-synchronizing literal and the rest of its command are read and dropped:
    /// what to send when the command ends.
    private var refusal: IMAPSessionStateMachine.Action?
    /// Set while the rest of an overlong line is skipped: the tag of its command, if it was read.
    private var skippingTag: String??

    public init(maximumLineLength: Int, maximumCommandSize: Int) {
        self.maximumLineLength = maximumLineLength
        self.maximumCommandSize = maximumCommandSize
    }

    /// Framing with the limits of a session's configuration.
    public init(configuration: IMAPSessionStateMachine.Configuration) {
        self.init(
            maximumLineLength: configuration.maximumLineLength, maximumCommandSize: configuration.maximumCommandSize)
    }

    /// Whether the next input byte starts a new command (none is partly read, dropped or skipped).
    public var isAtCommandStart: Bool {
        command.isEmpty && literalRemaining == 0 && refusal == nil && skippingTag == nil
    }

    /// What feeding the machine led to.
    public enum Step: Sendable {
        /// Input was taken; carry out this action (often ``IMAPSessionStateMachine/Action/none``) and feed
        /// again.
        case act(IMAPSessionStateMachine.Action)
        /// Nothing more can be fed now: the input holds no complete line or literal, or the machine waits
        /// for a request or has closed.
        case waitForInput
    }

    /// Feeds the machine from the front of `input`. Returns how many bytes of `input` are used up (drop
    /// them before the next call) and what to do next.
    public mutating func feed(
        _ input: UnsafeRawBufferPointer, to machine: inout IMAPSessionStateMachine
    ) -> (consumed: Int, step: Step) {
        switch machine.inputMode {
        case .suspended, .closed:
            return (0, .waitForInput)
        case .line, .command:
            break
        }
        if literalRemaining > 0 {
            let count = min(literalRemaining, input.count)
            guard count > 0 else { return (0, .waitForInput) }
            if refusal == nil { command.append(contentsOf: input[0..<count]) }
            literalRemaining -= count
            return (count, .act(.none))
        }
        // The next line, or as much of it as may be dropped.
        guard let newline = input.firstIndex(of: 0x0A) else {
            if skippingTag != nil { return (input.count, input.isEmpty ? .waitForInput : .act(.none)) }
            let length = input.last == 0x0D ? input.count - 1 : input.count
            if length > maximumLineLength {
                skippingTag = .some(tagOfCommand(startingWith: input))
                return (input.count, .act(.none))
            }
            return (0, .waitForInput)
        }
        let consumed = newline + 1
        if let tag = skippingTag {
            skippingTag = nil
            return (consumed, .act(overlong(tag: tag, machine: &machine)))
        }
        var end = newline
        if end > 0 && input[end - 1] == 0x0D { end -= 1 }
        if end > maximumLineLength {
            return (consumed, .act(overlong(tag: tagOfCommand(startingWith: input), machine: &machine)))
        }
        let line = input[0..<end]
        if machine.inputMode == .line {
            return (consumed, .act(machine.receive(line: line)))
        }
        guard let literal = Self.literalAnnouncement(at: line) else {
            // The command is complete.
            if let pending = refusal {
                refusal = nil
                command = []
                return (consumed, .act(pending))
            }
            command.append(contentsOf: line)
            let bytes = command
            command = []
            guard bytes.count <= maximumCommandSize else {
                return (consumed, .act(machine.receiveOverlongCommand(tag: IMAPCommandParser.tag(of: bytes))))
            }
            return (consumed, .act(machine.receive(command: bytes)))
        }
        if let pending = refusal {
            // Dropping a command: a further synchronizing literal would wait for a `+` forever, so the
            // command ends here; a non-synchronizing one is dropped too.
            if literal.synchronizing {
                refusal = nil
                command = []
                return (consumed, .act(pending))
            }
            literalRemaining = literal.size
            return (consumed, .act(.none))
        }
        command.append(contentsOf: line)
        command.append(contentsOf: [0x0D, 0x0A])
        let (accept, action) = machine.literalAnnounced(
            prefix: command, size: literal.size, synchronizing: literal.synchronizing)
        if accept {
            literalRemaining = literal.size
            return (consumed, .act(action))
        }
        command = []
        if literal.synchronizing { return (consumed, .act(action)) }
        refusal = action
        literalRemaining = literal.size
        return (consumed, .act(.none))
    }

    /// The tag of an overlong command, when it is no longer than a line may be: a longer one is answered
    /// untagged, so that no answer is longer than what the server accepts.
    private func tagOfCommand(startingWith input: UnsafeRawBufferPointer) -> String? {
        let tag = command.isEmpty ? IMAPCommandParser.tag(of: input) : IMAPCommandParser.tag(of: command)
        guard let tag, tag.utf8.count <= maximumLineLength else { return nil }
        return tag
    }

    private mutating func overlong(tag: String?, machine: inout IMAPSessionStateMachine)
        -> IMAPSessionStateMachine.Action
    {
        command = []
        if let pending = refusal {
            refusal = nil
            return pending
        }
        return machine.receiveOverlongCommand(tag: tag)
    }

    /// `{n}` or `{n+}` at the end of a line: the literal's size and kind. A size too large for 32 bits is
    /// not a literal, and the command then fails to parse.
    package static func literalAnnouncement(at line: some BidirectionalCollection<UInt8>) -> (
        size: Int, synchronizing: Bool
    )? {
        guard line.last == UInt8(ascii: "}") else { return nil }
        var index = line.index(before: line.endIndex)
        var synchronizing = true
        if index > line.startIndex, line[line.index(before: index)] == UInt8(ascii: "+") {
            synchronizing = false
            index = line.index(before: index)
        }
        var size = 0
        var multiplier = 1
        var digits = 0
        while index > line.startIndex {
            index = line.index(before: index)
            let byte = line[index]
            if byte == UInt8(ascii: "{") {
                guard digits > 0 else { return nil }
                return (size, synchronizing)
            }
            guard byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9"), digits < 10 else { return nil }
            size += Int(byte - UInt8(ascii: "0")) * multiplier
            multiplier *= 10
            digits += 1
            guard size <= Int(UInt32.max) else { return nil }
        }
        return nil
    }
}
