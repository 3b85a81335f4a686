import Logging
import NIOCore
import PostgresNIO

extension PostgresConnection {
    /// Connects whether or not the calling task is cancelled meanwhile, within the configuration's connect
    /// timeout. postgres-nio's `async` connect closes the channel when its task is cancelled during the
    /// handshake, yet can still return the connection once the handshake completes; a query on that
    /// connection then never completes, and whatever waits for it (a store closing, a request holding one of
    /// the pool's connections) waits forever. Its future-based connect takes no part in cancellation.
    static func open(
        on loop: any EventLoop = PostgresConnection.defaultEventLoopGroup.any(),
        configuration: PostgresConnection.Configuration, id: Int, logger: Logger
    ) async throws -> PostgresConnection {
        try await connect(on: loop, configuration: configuration, id: id, logger: logger).get()
    }
}
