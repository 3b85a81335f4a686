import GRDB
import Logging
import NIOCore

/// Copies the search index's write-ahead log into its file when mail has gone quiet, on a thread of its own
/// through a connection of its own. A checkpoint ends in an fsync that can take tens of milliseconds; done
/// by the indexer, it would hold up the indexing of a message that arrives meanwhile — and so the wait that
/// message should wake. A passive checkpoint neither blocks nor is blocked by the indexer's writes.
actor IndexCheckpointer {
    private let loop: any EventLoop
    private let connection: DatabaseQueue
    private let logger: Logger
    private var isRunning = false
    private var isRequestedAgain = false
    private var completions: [@Sendable () -> Void] = []

    nonisolated var unownedExecutor: UnownedSerialExecutor {
        loop.executor.asUnownedSerialExecutor()
    }

    init(loop: any EventLoop, connection: DatabaseQueue, logger: Logger) {
        self.loop = loop
        self.connection = connection
        self.logger = logger
    }

    /// Asks for a checkpoint; requests made while one runs are merged into one more afterwards.
    /// `completion` runs (on this thread) once a checkpoint that began after the request has ended.
    nonisolated func requestCheckpoint(completion: (@Sendable () -> Void)? = nil) {
        loop.execute {
            self.assumeIsolated { checkpointer in
                if let completion { checkpointer.completions.append(completion) }
                guard !checkpointer.isRunning else {
                    checkpointer.isRequestedAgain = true
                    return
                }
                checkpointer.isRunning = true
                checkpointer.loop.execute { self.assumeIsolated { $0.run() } }
            }
        }
    }

    private func run() {
        let waiting = completions
        completions = []
        do {
            _ = try connection.writeWithoutTransaction { try $0.checkpoint(.passive) }
        } catch {
            logger.warning("search index checkpoint failed: \(error)")
        }
        for completion in waiting { completion() }
        if isRequestedAgain {
            isRequestedAgain = false
            loop.execute { self.assumeIsolated { $0.run() } }
        } else {
            isRunning = false
        }
    }

    /// Closes the connection; call once the loop has stopped.
    nonisolated func close() throws {
        try connection.close()
    }
}
