import MailpenStore

/// What this node keeps a search term's rows under (``TermRowsCache``): the term with everything that
/// decides its rows, for the terms whose rows never change once a message is stored. Text is kept as the
/// UTF-8 bytes PostgreSQL compares (`COLLATE "C"`, lexemes): Swift's `String` equality would make `café`
/// with a combining accent the same key as `café` with a precomposed one, which match different messages.
/// Tags and read flags change, so their terms have no key.
enum PostgresTermKey: Hashable, Sendable {
    case text([UInt8], isPhrase: Bool)
    case field(columns: [String], value: [UInt8])
    case header(name: [UInt8], value: [UInt8]?)
    case hasAttachment
    case largerThan(Int)
    case smallerThan(Int)
    /// Milliseconds since 1970.
    case receivedBefore(Int64)
    case receivedOnOrAfter(Int64)

    /// Whether reading the term's rows in every inbox passes over every message: no index answers it (a
    /// column test, a field value too short for trigrams, a header name the header table does not keep).
    var isReadWithoutIndex: Bool {
        switch self {
        case .hasAttachment, .largerThan, .smallerThan, .receivedBefore, .receivedOnOrAfter: true
        case .field(_, let value): String(decoding: value, as: UTF8.self).unicodeScalars.count < 3
        // Text without words is looked for in subject and addresses, as a field value is.
        case .text(let value, let isPhrase):
            SearchSQL.ftsExpression(String(decoding: value, as: UTF8.self), isPhrase: isPhrase) == nil
                && PostgresTermKey.field(columns: [], value: value).isReadWithoutIndex
        case .header(let name, _): !HeaderRows.isIndexable(name: String(decoding: name, as: UTF8.self))
        }
    }

    init?(_ condition: SearchCondition) {
        func bytes(_ text: String) -> [UInt8] { Array(StoredText.cut(text).utf8) }
        switch condition {
        case .text(let value, let isPhrase):
            self = .text(bytes(value), isPhrase: isPhrase)
        case .address, .subject, .messageID:
            guard let test = FieldTest(condition) else { return nil }
            self = .field(columns: test.columns, value: bytes(test.value))
        case .header(let name, let value):
            self = .header(name: bytes(name), value: value.map(bytes))
        case .hasAttachment:
            self = .hasAttachment
        case .largerThan(let size):
            self = .largerThan(size)
        case .smallerThan(let size):
            self = .smallerThan(size)
        case .receivedBefore(let date):
            self = .receivedBefore(SearchSQL.milliseconds(date))
        case .receivedOnOrAfter(let date):
            self = .receivedOnOrAfter(SearchSQL.milliseconds(date))
        case .tag, .isRead:
            return nil
        }
    }
}
