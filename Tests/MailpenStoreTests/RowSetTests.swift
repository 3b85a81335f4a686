import Testing

@testable import MailpenStore

@Suite("Search: row sets")
struct RowSetTests {
    static func set(_ rows: [Int64], largest: Int64) -> RowSet {
        var set = RowSet(largest: largest)
        for row in rows { set.insert(row) }
        return set
    }

    @Test("pages from the largest row down match sorting the rows")
    func pagesNewestFirst() {
        // Every third row, and runs of whole and empty words: pages must cross words in every way.
        let rows = (1...700).filter { $0 % 3 == 0 || (128..<256).contains($0) }.filter { !(400..<520).contains($0) }
            .map(Int64.init)
        let set = Self.set(rows, largest: 700)
        let descending = Array(rows.reversed())
        #expect(set.count == rows.count)
        for (limit, offset) in [
            (50, 0), (50, 63), (50, 64), (1, 0), (7, 129), (1000, 0), (10, rows.count - 3), (10, rows.count), (0, 5),
        ] {
            let expected = Array(descending.dropFirst(offset).prefix(limit))
            #expect(set.largest(limit, skipping: offset) == expected, "limit \(limit) offset \(offset)")
        }
    }

    @Test("sets of different sizes combine as if the smaller were padded with empty rows")
    func differentSizes() {
        let small = Self.set([1, 5, 63, 64, 100], largest: 100)
        var large = Self.set([1, 63, 64, 100, 101, 500], largest: 600)
        #expect(large.countOfIntersection(with: small) == 4)
        var subtracted = large
        subtracted.subtract(small)
        #expect(Array(subtracted) == [101, 500])
        large.formIntersection(small)
        #expect(Array(large) == [1, 63, 64, 100])
        var shrunk = small
        shrunk.formIntersection(Self.set([5, 100, 300], largest: 400))
        #expect(Array(shrunk) == [5, 100])
    }
}
