import MailpenStore
import PostgresNIO

/// A prepared statement over a whole batch of rows: every value is an array parameter, so its text is the
/// same for every batch and PostgreSQL parses and plans it once per connection. Its text is taken from an
/// empty batch; each batch's own text is checked against it.
protocol BatchStatement: PostgresPreparedStatement {
    var bindings: PostgresBindings { get }
}

extension BatchStatement {
    func makeBindings() -> PostgresBindings {
        bindings
    }

    /// The values of `query`, built for one batch, whose text must be the statement's.
    static func bindings(of query: PostgresQuery) throws -> PostgresBindings {
        guard query.sql == sql else {
            throw StoreError.unavailable("the text of a batch's statement changed with its batch")
        }
        return query.binds
    }
}
