/// What the SQLite store keeps a term's rows under (``TermRowsCache``): its source, with everything that
/// decides its rows. Text is kept as its UTF-8 bytes, which is how the index compares it: Swift's `String`
/// equality would make `café` written with a combining accent the same key as `café` with a precomposed
/// one, which match different messages.
enum TermRowsKey: Hashable, Sendable {
    case fullText(table: String, expression: [UInt8])
    case fieldScan(columns: [String], value: [UInt8])
    case header(name: [UInt8], value: [UInt8]?)
}
