import Foundation
import NIOSSL
import PostgresNIO

/// A PostgreSQL connection URL, `postgres://user:password@host:port/dbname` (or `postgresql://`), as
/// `--db` and `MAILPEN_DB` take it.
///
/// User, password and database name may be percent-encoded. The query may set `sslmode` to `disable`
/// (the default on loopback hosts), `prefer` (the default elsewhere) or `require`; the certificate is not
/// verified, as with libpq's modes of the same names.
public struct PostgresURL: Sendable, Hashable, CustomStringConvertible {
    public enum TLSMode: String, Sendable, Hashable {
        case disable, prefer, require
    }

    public var host: String
    public var port: Int
    public var user: String
    public var password: String?
    public var database: String
    public var tlsMode: TLSMode

    /// Whether `text` is meant as a PostgreSQL URL rather than a file path.
    public static func isPostgres(_ text: String) -> Bool {
        let lowered = text.lowercased()
        return lowered.hasPrefix("postgres://") || lowered.hasPrefix("postgresql://")
    }

    /// Parses a URL; the error says what is wrong with it, without repeating the password.
    public init(_ text: String) throws(PostgresURLError) {
        guard Self.isPostgres(text), let components = URLComponents(string: text) else {
            throw PostgresURLError(reason: "it must look like postgres://user:password@host:5432/dbname")
        }
        guard let host = components.host, !host.isEmpty else {
            throw PostgresURLError(reason: "it names no host")
        }
        guard let user = components.user.flatMap({ $0.removingPercentEncoding }), !user.isEmpty else {
            throw PostgresURLError(reason: "it names no user (postgres://user:password@host/dbname)")
        }
        let database = String(components.path.drop(while: { $0 == "/" }))
        guard let decoded = database.removingPercentEncoding, !decoded.isEmpty, !decoded.contains("/") else {
            throw PostgresURLError(reason: "it names no database (postgres://user:password@host/dbname)")
        }
        let port = components.port ?? 5432
        guard (1...65535).contains(port) else { throw PostgresURLError(reason: "its port is out of range") }
        var mode: TLSMode = ["localhost", "127.0.0.1", "::1"].contains(host) ? .disable : .prefer
        for item in components.queryItems ?? [] {
            switch item.name {
            case "sslmode":
                guard let value = item.value, let parsed = TLSMode(rawValue: value) else {
                    throw PostgresURLError(reason: "sslmode takes disable, prefer or require")
                }
                mode = parsed
            default:
                throw PostgresURLError(reason: "unknown parameter '\(item.name)' (only sslmode is known)")
            }
        }
        self.host = host.hasPrefix("[") && host.hasSuffix("]") ? String(host.dropFirst().dropLast()) : host
        self.port = port
        self.user = user
        self.password = components.password?.removingPercentEncoding
        self.database = decoded
        self.tlsMode = mode
    }

    /// The URL without its password, for logs and banners.
    public var description: String {
        let hostText = host.contains(":") ? "[\(host)]" : host
        return "postgres://\(user)@\(hostText):\(port)/\(database)"
    }

    /// The connection settings postgres-nio takes, for this database or another one on the same server.
    /// Startup parameters go to the server with the connection (`synchronous_commit`, an application name).
    func connectionConfiguration(
        database: String? = nil, connectTimeout: TimeAmount = .seconds(3), parameters: [(String, String)] = []
    ) throws -> PostgresConnection.Configuration {
        let tls: PostgresConnection.Configuration.TLS
        if tlsMode == .disable {
            tls = .disable
        } else {
            var tlsConfiguration = TLSConfiguration.makeClientConfiguration()
            tlsConfiguration.certificateVerification = .none
            let context = try NIOSSLContext(configuration: tlsConfiguration)
            tls = tlsMode == .require ? .require(context) : .prefer(context)
        }
        var configuration = PostgresConnection.Configuration(
            host: host, port: port, username: user, password: password, database: database ?? self.database, tls: tls)
        configuration.options.connectTimeout = connectTimeout
        configuration.options.additionalStartupParameters = [("application_name", "mailpen")] + parameters
        return configuration
    }
}

/// Why a `--db` value is not a usable PostgreSQL URL.
public struct PostgresURLError: Error, Sendable, CustomStringConvertible {
    public var reason: String

    public var description: String { "not a usable PostgreSQL URL: \(reason)" }
}
