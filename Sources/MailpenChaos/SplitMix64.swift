/// SplitMix64 (Steele, Lea and Flood, 2014): a tiny generator whose whole state is one integer, so that a
/// seeded rule set replays the same choices on every platform and Swift version (the standard library's
/// generator is neither seedable nor specified).
public struct SplitMix64: RandomNumberGenerator, Sendable, Hashable {
    private var state: UInt64

    public init(seed: UInt64) {
        state = seed
    }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE5_E9B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// A number in `0..<100` from the next output (Lemire's multiply-shift; its bias is below 10⁻¹⁷).
    public mutating func nextPercentile() -> Int {
        Int(UInt64(100).multipliedFullWidth(by: next()).high)
    }
}
