/// A set of message row ids as a bitmap: 12.5 KB for row ids up to 100k, combined with
/// another a word (64 rows) at a time. Searches intersect the rows of each term with an inbox's members.
package struct RowSet: Sequence, Sendable {
    private var words: [UInt64]

    /// What looking up one row by its id costs, in rows of a pass over an inbox's narrow index: below, a
    /// search looks its few candidates up one by one rather than reading the inbox's members.
    package static let lookupCostInRows = 8

    /// A set for row ids from 1 to `largest`; larger ones (rows committed after the search began) are ignored.
    package init(largest: Int64) {
        words = Array(repeating: 0, count: Int(Swift.max(0, largest) / 64) + 1)
    }

    /// The memory the bitmap takes.
    package var byteCount: Int { words.count * MemoryLayout<UInt64>.size }

    /// How many row ids the set holds.
    package var count: Int { words.reduce(0) { $0 + $1.nonzeroBitCount } }

    package func makeIterator() -> some IteratorProtocol<Int64> {
        var wordIndex = 0
        var word = words.first ?? 0
        let words = self.words
        return AnyIterator<Int64> {
            while word == 0 {
                wordIndex += 1
                guard wordIndex < words.count else { return nil }
                word = words[wordIndex]
            }
            let bit = word.trailingZeroBitCount
            word &= word - 1
            return Int64(wordIndex * 64 + bit)
        }
    }

    /// Makes room for row ids up to `largest`.
    package mutating func grow(toLargest largest: Int64) {
        let needed = Int(Swift.max(0, largest) / 64) + 1
        if needed > words.count { words += repeatElement(0, count: needed - words.count) }
    }

    package mutating func insert(_ row: Int64) {
        guard row >= 0, Int(row / 64) < words.count else { return }
        words[Int(row / 64)] |= 1 << UInt64(row % 64)
    }

    /// Keeps the rows that are also in `other`; rows beyond `other`'s range are not in it.
    package mutating func formIntersection(_ other: RowSet) {
        let shared = Swift.min(words.count, other.words.count)
        for index in 0..<shared { words[index] &= other.words[index] }
        for index in shared..<words.count { words[index] = 0 }
    }

    /// Removes the rows that are in `other`.
    package mutating func subtract(_ other: RowSet) {
        for index in 0..<Swift.min(words.count, other.words.count) { words[index] &= ~other.words[index] }
    }

    /// How many rows this set and `other` have in common, without building their intersection.
    package func countOfIntersection(with other: RowSet) -> Int {
        var count = 0
        for index in 0..<Swift.min(words.count, other.words.count) {
            count += (words[index] & other.words[index]).nonzeroBitCount
        }
        return count
    }

    /// Up to `limit` rows, from the largest down, after skipping the `offset` largest: one page of a list
    /// that is newest first. Whole words are skipped by their population count.
    package func largest(_ limit: Int, skipping offset: Int) -> [Int64] {
        guard limit > 0 else { return [] }
        var rows: [Int64] = []
        rows.reserveCapacity(Swift.min(limit, 1024))
        var toSkip = Swift.max(0, offset)
        for index in words.indices.reversed() {
            var word = words[index]
            guard word != 0 else { continue }
            if toSkip >= word.nonzeroBitCount {
                toSkip -= word.nonzeroBitCount
                continue
            }
            while word != 0 {
                let bit = 63 - word.leadingZeroBitCount
                word &= ~(1 << UInt64(bit))
                if toSkip > 0 {
                    toSkip -= 1
                    continue
                }
                rows.append(Int64(index * 64 + bit))
                if rows.count == limit { return rows }
            }
        }
        return rows
    }
}
