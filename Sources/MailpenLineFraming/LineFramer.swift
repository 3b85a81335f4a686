/// Cuts a line-based protocol's command input into lines ending in CRLF or a bare LF, with a length limit.
/// The SMTP and POP3 sessions both frame their commands with it.
///
/// A line longer than the limit is not buffered: its bytes are skipped up to the next line ending and the
/// framer reports it once as ``Frame/overlongLine``, so a client sending megabytes without a newline
/// cannot make the server hold them. A CR and LF that arrive in different reads still end a line of
/// exactly the limit.
public struct LineFramer: Sendable {
    /// What the start of the input holds.
    public enum Frame: Equatable, Sendable {
        /// A complete line without its CRLF or LF; `consumed` includes the line ending.
        case line(Range<Int>, consumed: Int)
        /// The end of a line that exceeded the limit; `consumed` bytes are to be dropped.
        case overlongLine(consumed: Int)
        /// No complete line yet; `consumed` bytes (of an overlong line) may be dropped, the rest kept.
        case needMoreData(consumed: Int)
    }

    public let maximumLength: Int
    private var isSkippingOverlongLine = false

    public init(maximumLength: Int) {
        self.maximumLength = maximumLength
    }

    /// Finds the next frame at the start of `input`.
    public mutating func nextFrame(in input: UnsafeRawBufferPointer) -> Frame {
        guard let newline = input.firstIndex(of: 0x0A) else {
            if isSkippingOverlongLine { return .needMoreData(consumed: input.count) }
            // A CR at the end may be the first half of the line's CRLF, not part of the line.
            let length = input.last == 0x0D ? input.count - 1 : input.count
            if length > maximumLength {
                isSkippingOverlongLine = true
                return .needMoreData(consumed: input.count)
            }
            return .needMoreData(consumed: 0)
        }
        if isSkippingOverlongLine {
            isSkippingOverlongLine = false
            return .overlongLine(consumed: newline + 1)
        }
        var end = newline
        if end > 0 && input[end - 1] == 0x0D { end -= 1 }
        if end > maximumLength { return .overlongLine(consumed: newline + 1) }
        return .line(0..<end, consumed: newline + 1)
    }
}
