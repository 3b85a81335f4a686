import PostgresNIO

/// SQL text with its parameters, built up piece by piece: each bound value gets the next `$n`.
struct SQLBuilder {
    private(set) var bindings = PostgresBindings()

    /// Binds `value` and returns its placeholder.
    mutating func bind(_ value: some PostgresEncodable) throws -> String {
        try bindings.append(value)
        return "$\(bindings.count)"
    }

    /// Binds `value` (NULL for `nil`) and returns its placeholder.
    mutating func bind<Value: PostgresEncodable>(_ value: Value?) throws -> String {
        try bindings.append(value)
        return "$\(bindings.count)"
    }

    /// The query of `sql` over the values bound so far.
    func query(_ sql: String) -> PostgresQuery {
        PostgresQuery(unsafeSQL: sql, binds: bindings)
    }
}
