import MailpenStore
import NIOCore
import PostgresNIO

/// The words of one message as the PostgreSQL store indexes them: the tokens of its subject, addresses
/// and body as FTS5 makes them (``Unicode61Tokenizer``), in a `tsvector` built here rather than by
/// PostgreSQL's own parser, which splits e-mail addresses, URLs and hyphenated words differently.
///
/// Besides each word, the vector holds each pair of neighbouring words of a field as one lexeme,
/// `~first second`, at the first word's position. A two-word phrase is then one lookup in the index, with
/// no position check, and a longer one the chain of its pairs (`'~a b' <-> '~b c'`), whose candidates are
/// few; a lone word stays a prefix lookup that never meets a pair (none starts with a letter).
///
/// A `tsvector` holds at most 16,383 positions, 256 positions per lexeme, lexemes of 2,047 bytes and
/// 1 MB in all. A message beyond any of those (a long mail, a table of repeated numbers) gets no vector;
/// its words are kept in order as text instead (`tokens`: each field's words between spaces, fields on
/// lines of their own), where a word or phrase is a substring search: exact, and slower, for the few
/// messages that need it. Such a message also gets the set of its distinct words (`wordSet`, a vector
/// without positions, which has no limit on them), so that the word index rules most of them out before
/// any substring search reads their text: otherwise every word term of a search would read the whole text
/// of every such message, however few contain the word.
struct SearchWords: Sendable {
    /// The vector, or `nil` for a message too large for one.
    var vector: TSVector?
    /// The words in order, for a message without a vector.
    var tokens: String?
    /// The distinct words of a message without a vector, each cut to its first ``setWordLength`` characters,
    /// or `nil` when it has a vector or they are too many for one.
    var wordSet: TSVector?

    /// Longest token, in bytes, a vector takes (a pair of them stays under PostgreSQL's lexeme limit).
    static let longestToken = 1000
    private static let largestPosition = 16_383
    private static let mostPositionsPerLexeme = 256
    private static let largestVectorBytes = 900_000

    /// The words of `fields` (subject, addresses, body, each already cut at a NUL as the SQLite store's
    /// driver cuts it), positions continuing from field to field with a gap between them.
    init(fields: [String]) {
        let tokens = fields.map { field in
            var words: [[UInt8]] = []
            Unicode61Tokenizer.forEachToken(in: field) { words.append(Array($0)) }
            return words
        }
        if let vector = Self.vector(of: tokens) {
            self.vector = vector
            self.tokens = nil
            self.wordSet = nil
        } else {
            self.vector = nil
            self.tokens = tokens.map { words in
                " " + words.map { String(decoding: $0, as: UTF8.self) }.joined(separator: " ") + " "
            }.joined(separator: "\n")
            self.wordSet = Self.wordSet(of: tokens.joined())
        }
    }

    /// Characters of a word its set keeps: a longer word is kept as its beginning, which every term that
    /// matches it also begins with (see ``setLexeme(_:)``); no word is left out of the set.
    static let setWordLength = 250

    /// A word as a set holds it: its first ``setWordLength`` characters (Unicode scalars, as PostgreSQL's
    /// `left()` counts them).
    static func setLexeme(_ word: some Collection<UInt8>) -> [UInt8] {
        let text = String(decoding: word, as: UTF8.self)
        guard text.unicodeScalars.count > setWordLength else { return Array(word) }
        return Array(String(String.UnicodeScalarView(text.unicodeScalars.prefix(setWordLength))).utf8)
    }

    /// The distinct words, as ``setLexeme(_:)`` keeps them, without positions; `nil` past the size of a vector.
    static func wordSet(of words: some Sequence<[UInt8]>) -> TSVector? {
        var distinct = Set<Lexeme>()
        var bytes = 0
        for word in words {
            let lexeme = word.count > setWordLength ? setLexeme(word) : word
            guard distinct.insert(Lexeme(lexeme)).inserted else { continue }
            bytes += lexeme.count + 8
            guard bytes <= largestVectorBytes else { return nil }
        }
        let sorted = distinct.map(\.bytes).sorted { $0.lexicographicallyPrecedes($1) }
        return TSVector(entries: sorted.map { (key: $0, value: []) })
    }

    private static func vector(of fields: [[[UInt8]]]) -> TSVector? {
        let count = fields.reduce(fields.count) { $0 + $1.count }
        guard count <= largestPosition else { return nil }
        var lexemes: [Lexeme: [UInt16]] = [:]
        var position = 1
        for words in fields {
            for (index, word) in words.enumerated() {
                guard word.count <= longestToken else { return nil }
                lexemes[Lexeme(word), default: []].append(UInt16(position))
                if index + 1 < words.count {
                    lexemes[Lexeme(pairLexeme(word, words[index + 1])), default: []].append(UInt16(position))
                }
                position += 1
            }
            position += 1
        }
        var bytes = 0
        for (lexeme, positions) in lexemes {
            guard positions.count <= mostPositionsPerLexeme else { return nil }
            bytes += lexeme.bytes.count + 8 + 2 * positions.count
        }
        guard bytes <= largestVectorBytes else { return nil }
        let entries = lexemes.map { (key: $0.key.bytes, value: $0.value) }
        return TSVector(entries: entries.sorted { $0.key.lexicographicallyPrecedes($1.key) })
    }

    /// A lexeme as a dictionary key, hashed as one run of bytes: an array of bytes feeds the hasher one byte
    /// at a time, which is slow for the thousands of lexemes of a message.
    private struct Lexeme: Hashable {
        var bytes: [UInt8]

        init(_ bytes: [UInt8]) {
            self.bytes = bytes
        }

        func hash(into hasher: inout Hasher) {
            bytes.withUnsafeBytes { hasher.combine(bytes: $0) }
        }
    }

    /// The lexeme of two neighbouring words: `~first second`. `~` and the space are never part of a word.
    static func pairLexeme(_ first: some Collection<UInt8>, _ second: some Collection<UInt8>) -> [UInt8] {
        var lexeme: [UInt8] = [UInt8(ascii: "~")]
        lexeme.reserveCapacity(first.count + second.count + 2)
        lexeme.append(contentsOf: first)
        lexeme.append(UInt8(ascii: " "))
        lexeme.append(contentsOf: second)
        return lexeme
    }
}

/// A `tsvector` in PostgreSQL's binary format: lexemes in byte order, each with its positions (weight D).
struct TSVector: PostgresArrayEncodable, Sendable {
    private var bytes: ByteBuffer

    init(entries: [(key: [UInt8], value: [UInt16])]) {
        var buffer = ByteBuffer()
        buffer.writeInteger(Int32(entries.count))
        for (lexeme, positions) in entries {
            buffer.writeBytes(lexeme)
            buffer.writeInteger(UInt8(0))
            buffer.writeInteger(UInt16(positions.count))
            for position in positions { buffer.writeInteger(position) }
        }
        bytes = buffer
    }

    static var psqlType: PostgresDataType { PostgresDataType(3614) }
    static var psqlArrayType: PostgresDataType { PostgresDataType(3643) }
    static var psqlFormat: PostgresFormat { .binary }

    func encode<JSONEncoder: PostgresJSONEncoder>(
        into buffer: inout ByteBuffer, context: PostgresEncodingContext<JSONEncoder>
    ) {
        buffer.writeImmutableBuffer(bytes)
    }
}
