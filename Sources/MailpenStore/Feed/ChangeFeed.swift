import NIOCore

/// Fans out events to any number of subscribers, in the order they are published.
///
/// Each subscriber has a bounded buffer. One that falls behind is not allowed to slow the publisher: its
/// stream ends with ``ChangeFeedError/fellBehind`` and it must reload and subscribe again.
public actor ChangeFeed<Event: Sendable> {
    private let loop: any EventLoop
    private var subscribers: [Int: Subscriber] = [:]
    private var nextID = 0
    private var isFinished = false
    /// Callers of ``subscriberCount(where:)`` whose condition does not hold yet.
    private var countWatchers: [Int: CountWatcher] = [:]
    private var nextWatcherID = 0

    private struct Subscriber {
        var continuation: AsyncThrowingStream<Event, any Error>.Continuation
        /// Decides at publishing which events the subscriber gets: one that wants few wakes for few.
        var isWanted: (@Sendable (Event) -> Bool)?
    }

    private struct CountWatcher {
        var condition: @Sendable (Int) -> Bool
        var continuation: CheckedContinuation<Void, Never>
    }

    /// A feed that runs on `loop`: publishing from that loop costs no hop.
    package init(loop: any EventLoop) {
        self.loop = loop
    }

    public nonisolated var unownedExecutor: UnownedSerialExecutor {
        loop.executor.asUnownedSerialExecutor()
    }

    /// A new stream of every event published from now on, or of those `isWanted` accepts. The filter runs
    /// as each event is published, on the feed's loop, so it must be quick; it spares the subscriber a
    /// wake-up for every event it would ignore.
    public func subscribe(
        bufferSize: Int = 4096, where isWanted: (@Sendable (Event) -> Bool)? = nil
    ) -> AsyncThrowingStream<Event, any Error> {
        let (stream, continuation) = AsyncThrowingStream.makeStream(
            of: Event.self, throwing: (any Error).self, bufferingPolicy: .bufferingOldest(bufferSize))
        if isFinished {
            continuation.finish()
            return stream
        }
        let id = nextID
        nextID += 1
        subscribers[id] = Subscriber(continuation: continuation, isWanted: isWanted)
        continuation.onTermination = { [weak self] _ in
            guard let self else { return }
            Task { await self.remove(id) }
        }
        subscribersChanged()
        return stream
    }

    /// The number of live subscribers.
    public var subscriberCount: Int { subscribers.count }

    /// Returns once the number of live subscribers satisfies `condition`: at once if it does now, else when a
    /// subscription begins or ends that makes it so, or when the calling task is cancelled. It lets a caller —
    /// a test — go on only once a waiter has subscribed, or has gone, without polling the count.
    public func subscriberCount(where condition: @escaping @Sendable (Int) -> Bool) async {
        let id = nextWatcherID
        nextWatcherID += 1
        await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                if condition(subscribers.count) || Task.isCancelled {
                    continuation.resume()
                } else {
                    countWatchers[id] = CountWatcher(condition: condition, continuation: continuation)
                }
            }
        } onCancel: {
            Task { await self.stopWatching(id) }
        }
    }

    private func stopWatching(_ id: Int) {
        countWatchers.removeValue(forKey: id)?.continuation.resume()
    }

    /// Resumes the watchers whose condition now holds.
    private func subscribersChanged() {
        guard !countWatchers.isEmpty else { return }
        let count = subscribers.count
        for (id, watcher) in countWatchers where watcher.condition(count) {
            countWatchers[id] = nil
            watcher.continuation.resume()
        }
    }

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
        for (id, subscriber) in subscribers {
            for event in events where subscriber.isWanted?(event) ?? true {
                if case .dropped = subscriber.continuation.yield(event) {
                    subscriber.continuation.finish(throwing: ChangeFeedError.fellBehind)
                    subscribers[id] = nil
                    break
                }
            }
        }
        subscribersChanged()
    }

    /// Ends every subscriber's stream with ``ChangeFeedError/fellBehind``: events may have been missed (a
    /// store that learns of other servers' changes lost its news of them for a while), so each must reload.
    package func dropSubscribers() {
        for subscriber in subscribers.values {
            subscriber.continuation.onTermination = nil
            subscriber.continuation.finish(throwing: ChangeFeedError.fellBehind)
        }
        subscribers = [:]
    }

    package func finish() {
        isFinished = true
        for subscriber in subscribers.values {
            subscriber.continuation.onTermination = nil
            subscriber.continuation.finish()
        }
        subscribers = [:]
        subscribersChanged()
    }

    private func remove(_ id: Int) {
        subscribers[id] = nil
        subscribersChanged()
    }
}

/// Why a change-feed stream ended early.
public enum ChangeFeedError: Error, Equatable {
    /// The subscriber did not keep up; events were lost, so it must reload.
    case fellBehind
}
