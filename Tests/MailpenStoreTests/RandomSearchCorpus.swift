/// Random mail and queries over every kept term shape, from a seed, for tests that compare the answers
/// of terms kept between searches with those read afresh.
struct RandomSearchCorpus {
    private var random: Xorshift
    private let words = ["alpha", "beta", "gamma", "delta", "omega", "café", "cafe\u{301}", "zz"]
    private let addresses = ["alice@example.com", "bob@example.net", "zz@zz.test", "carol@ex.org", "dave@b.example"]

    init(seed: UInt64) {
        random = Xorshift(seed: seed)
    }

    /// A number in `0..<bound`.
    mutating func below(_ bound: Int) -> Int {
        random.below(bound)
    }

    private mutating func pick<T>(_ items: [T]) -> T {
        items[random.below(items.count)]
    }

    /// `count` queries, each a term alone or beside a word.
    mutating func queries(_ count: Int) -> [String] {
        (0..<count).map { _ in query() }
    }

    private mutating func query() -> String {
        let term: String
        switch random.below(8) {
        case 0: term = pick(words)
        case 1: term = "\"\(pick(words)) \(pick(words))\""
        case 2: term = "from:" + pick(["zz", "a", "ex", "alice", "example.com", "b.ex"])
        case 3: term = "to:" + pick(["zz", "o", "carol", "bob@example"])
        case 4: term = "subject:" + pick(["zz", "caf", "café", "omega", "l"])
        case 5: term = "header:" + pick(["X-Batch", "X-Batch=3", "X-Note", "\"x-note: a\"", "x-note=zz"])
        case 6: term = "-" + pick(words)
        default: term = pick(["is:unread", "larger:150", "-from:zz", "tag:none"])
        }
        return random.below(3) == 0 ? term : "\(term) \(pick(words))"
    }

    /// One round's messages: 8 to 27 of them.
    mutating func messages() -> [String] {
        (0..<(8 + random.below(20))).map { _ in message() }
    }

    private mutating func message() -> String {
        let body = (0...random.below(4)).map { _ in pick(words) }.joined(separator: " ")
        let batch = random.below(3) == 0 ? "" : "X-Batch: \(random.below(5))\r\n"
        let note = random.below(4) == 0 ? "X-Note: a: \(pick(words))\r\n" : ""
        return "From: \(pick(addresses))\r\nTo: \(pick(addresses))\r\nSubject: \(pick(words)) \(pick(words))\r\n"
            + batch + note + "\r\n\(body)\r\n"
    }

    /// Up to three positions to remove one after the other from a list of `count`.
    mutating func deletions(among count: Int) -> [Int] {
        var remaining = count
        var positions: [Int] = []
        for _ in 0..<random.below(4) where remaining > 0 {
            positions.append(random.below(remaining))
            remaining -= 1
        }
        return positions
    }
}
