import MailpenStore
import NIOCore
import NIOPosix
import PostgresNIO

/// Tells a database that is out of reach (or going away, or read-only after a failover) from a query that
/// went wrong, and words both for logs. The first kind becomes ``StoreError/unavailable(_:)``: the API
/// answers 503, SMTP `451 4.3.0`, and the store tries again by itself once the server is back.
enum PostgresFailure {
    /// SQLSTATEs of a server that cannot serve: connection exceptions (class 08), a server shutting down or
    /// starting up (57P01-57P03), too many connections, and a read-only server (a standby after a failover).
    private static func isUnavailable(sqlState: String) -> Bool {
        sqlState.hasPrefix("08") || ["57P01", "57P02", "57P03", "53300", "25006"].contains(sqlState)
    }

    /// Whether `error` says the server or the connection is gone (or not there yet), so that the same request
    /// may work later.
    static func isUnavailable(_ error: any Error) -> Bool {
        switch error {
        case let error as PSQLError:
            if error.code == .server, let state = error.serverInfo?[.sqlState] { return isUnavailable(sqlState: state) }
            return error.code != .server && error.code != .tooManyParameters && error.code != .invalidCommandTag
        case let error as PostgresTransactionError:
            return [error.beginError, error.closureError, error.commitError].contains { $0.map(isUnavailable) ?? false }
        case let error as StoreError:
            if case .unavailable = error { return true }
            return false
        case is IOError, is ChannelError, is NIOConnectionError:
            return true
        default:
            return false
        }
    }

    /// Whether the transaction failed only because of another one and may simply be run again: a deadlock
    /// or a serialization failure.
    static func isRetryable(_ error: any Error) -> Bool {
        guard let error = error as? PSQLError, error.code == .server, let state = error.serverInfo?[.sqlState] else {
            return false
        }
        return state == "40P01" || state == "40001"
    }

    /// Whether `error` is the server's refusal of a row for a missing referenced row (an inbox deleted by
    /// another server meanwhile).
    static func isForeignKeyViolation(_ error: any Error) -> Bool {
        guard let error = error as? PSQLError, error.code == .server else { return false }
        return error.serverInfo?[.sqlState] == "23503"
    }

    /// The error to hand on: ``StoreError/unavailable(_:)`` for a server out of reach, else `error` itself.
    static func storeError(_ error: any Error) -> any Error {
        if error is StoreError { return error }
        return isUnavailable(error) ? StoreError.unavailable(describe(error)) : error
    }

    /// Words for logs and health reports: the server's message with its SQLSTATE, or what failed.
    static func describe(_ error: any Error) -> String {
        switch error {
        case let error as PSQLError:
            if let info = error.serverInfo {
                let state = info[.sqlState].map { " (\($0))" } ?? ""
                return (info[.message] ?? "server error") + state
            }
            if let underlying = error.underlying { return "\(error.code): \(describe(underlying))" }
            return "\(error.code)"
        case let error as PostgresTransactionError:
            let first = error.beginError ?? error.closureError ?? error.commitError
            return first.map(describe) ?? "transaction failed"
        case let error as StoreError:
            if case .unavailable(let reason) = error { return reason }
            return error.description
        case let error as NIOConnectionError:
            return error.connectionErrors.first.map { describe($0.error) } ?? "cannot connect"
        case let error as IOError:
            return error.description
        default:
            return String(describing: error)
        }
    }
}
