import NIOCore

/// Fans out events to any number of subscribers, in the order they are published.
///
/// Each subscriber has a bounded buffer. One that falls behind is not allowed to slow the publisher: its
/// stream ends with ``ChangeFeedError/fellBehind`` and it must reload and subscribe again.
public actor ChangeFeed<Event: Sendable> {
    private let loop: any EventLoop
    private var subscribers: [Int: AsyncThrowingStream<Event, any Error>.Continuation] = [:]
    private var nextID = 0
    private var isFinished = false

    /// A feed that runs on `loop`: publishing from that loop costs no hop.
    package init(loop: any EventLoop) {
        self.loop = loop
    }

    public nonisolated var unownedExecutor: UnownedSerialExecutor {
        loop.executor.asUnownedSerialExecutor()
    }

    /// A new stream of every event published from now on.
    public func subscribe(bufferSize: Int = 4096) -> AsyncThrowingStream<Event, any Error> {
        let (stream, continuation) = AsyncThrowingStream.makeStream(
            of: Event.self, throwing: (any Error).self, bufferingPolicy: .bufferingOldest(bufferSize))
        if isFinished {
            continuation.finish()
            return stream
        }
        let id = nextID
        nextID += 1
        subscribers[id] = continuation
        continuation.onTermination = { [weak self] _ in
            guard let self else { return }
            Task { await self.remove(id) }
        }
        return stream
    }

    /// The number of live subscribers.
    public var subscriberCount: Int { subscribers.count }

    /// Publishes `events` from any thread: at once when called on the feed's loop, else on it.
    package nonisolated func publishFromAnyThread(_ events: [Event]) {
        guard !events.isEmpty else { return }
        if loop.inEventLoop {
            assumeIsolated { $0.publish(events) }
        } else {
            loop.execute {
                self.assumeIsolated { $0.publish(events) }
            }
        }
    }

    package func publish(_ events: [Event]) {
        guard !events.isEmpty else { return }
        for (id, continuation) in subscribers {
            for event in events {
                if case .dropped = continuation.yield(event) {
                    continuation.finish(throwing: ChangeFeedError.fellBehind)
                    subscribers[id] = nil
                    break
                }
            }
        }
    }

    /// Ends every subscriber's stream with ``ChangeFeedError/fellBehind``: events may have been missed (a
    /// store that learns of other servers' changes lost its news of them for a while), so each must reload.
    package func dropSubscribers() {
        for continuation in subscribers.values {
            continuation.onTermination = nil
            continuation.finish(throwing: ChangeFeedError.fellBehind)
        }
        subscribers = [:]
    }

    package func finish() {
        isFinished = true
        for continuation in subscribers.values {
            continuation.onTermination = nil
            continuation.finish()
        }
        subscribers = [:]
    }

    private func remove(_ id: Int) {
        subscribers[id] = nil
    }
}

/// Why a change-feed stream ended early.
public enum ChangeFeedError: Error, Equatable {
    /// The subscriber did not keep up; events were lost, so it must reload.
    case fellBehind
}
