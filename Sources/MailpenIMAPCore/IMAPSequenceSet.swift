/// A sequence set (RFC 3501 §9 `sequence-set`): numbers and ranges, where `*` is the largest number in use.
/// The same type serves message sequence numbers and UIDs; the session resolves it against its mailbox.
public struct IMAPSequenceSet: Sendable, Hashable {
    /// One end of a range: a number, or `*`.
    public enum Bound: Sendable, Hashable {
        case number(UInt32)
        case last
    }

    /// A range `first:last` (the ends in either order) or a single number (`first == last`).
    public struct Range: Sendable, Hashable {
        public var first: Bound
        public var last: Bound

        public init(_ first: Bound, _ last: Bound) {
            self.first = first
            self.last = last
        }
    }

    public var ranges: [Range]

    public init(_ ranges: [Range]) {
        self.ranges = ranges
    }

    /// Whether `value` lies in the set when `*` stands for `largest` (RFC 3501: `*` is the largest number
    /// in use, so `n:*` includes the largest even when `n` is larger).
    public func contains(_ value: UInt32, largest: UInt32) -> Bool {
        for range in ranges {
            let a = resolve(range.first, largest: largest)
            let b = resolve(range.last, largest: largest)
            if value >= min(a, b) && value <= max(a, b) { return true }
        }
        return false
    }

    private func resolve(_ bound: Bound, largest: UInt32) -> UInt32 {
        switch bound {
        case .number(let number): return number
        case .last: return largest
        }
    }
}
