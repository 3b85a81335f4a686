/// How many deliveries of one relay may be claimed at once, so that a relay whose upstream hangs cannot
/// hold every sender's slots while the other relays' mail waits behind it.
public struct RelayShare: Sendable, Hashable {
    /// Deliveries of one relay claimed and not yet recorded, on every node of the store.
    public var perRelay: Int

    public init(perRelay: Int) {
        self.perRelay = max(0, perRelay)
    }

    /// No share: any relay may take every claim.
    public static let unlimited = RelayShare(perRelay: Int.max)

    /// How many more of a relay's deliveries a claim may take while `claimed` are under way.
    public func free(claimed: Int) -> Int {
        max(0, perRelay - max(0, claimed))
    }

    /// The claim's pick from each relay's own candidates: the `limit` due first, as `(seq, due)` pairs.
    package static func earliest(_ candidates: [(seq: Int64, due: Int64)], limit: Int) -> [Int64] {
        candidates.sorted { ($0.due, $0.seq) < ($1.due, $1.seq) }.prefix(max(0, limit)).map(\.seq)
    }
}
