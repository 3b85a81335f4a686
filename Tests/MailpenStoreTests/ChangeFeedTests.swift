import NIOPosix
import Testing

@testable import MailpenStore

@Suite("Change feed")
struct ChangeFeedTests {
    /// Tests wait on the subscriber count to know that a waiter has subscribed or gone; the wait must end on
    /// the change itself.
    @Test("a wait for the subscriber count ends when a subscription begins, and when it ends", .timeLimit(.minutes(1)))
    func subscriberCountWaits() async throws {
        let feed = ChangeFeed<Int>(loop: MultiThreadedEventLoopGroup.singleton.next())
        // Child tasks, so that the time limit's cancellation reaches them if the wake never comes.
        async let subscribed: Void = feed.subscriberCount(where: { $0 == 1 })
        var stream: AsyncThrowingStream<Int, any Error>? = await feed.subscribe()
        await subscribed
        #expect(await feed.subscriberCount == 1)
        async let gone: Void = feed.subscriberCount(where: { $0 == 0 })
        #expect(stream != nil)
        stream = nil  // Dropping the stream ends its subscription.
        await gone
        #expect(await feed.subscriberCount == 0)
    }

    @Test("a wait for the subscriber count ends when its task is cancelled", .timeLimit(.minutes(1)))
    func subscriberCountWaitIsCancellable() async {
        let feed = ChangeFeed<Int>(loop: MultiThreadedEventLoopGroup.singleton.next())
        let never = Task { await feed.subscriberCount(where: { $0 > 5 }) }
        never.cancel()
        await never.value
        #expect(await feed.subscriberCount == 0)
    }

    @Test("a subscriber with a filter gets only the events it wants, in order, beside one that gets all")
    func filteredSubscription() async throws {
        let feed = ChangeFeed<Int>(loop: MultiThreadedEventLoopGroup.singleton.next())
        let even = await feed.subscribe(where: { $0.isMultiple(of: 2) })
        let all = await feed.subscribe()
        await feed.publish(Array(1...6))
        await feed.finish()
        var evens: [Int] = []
        for try await value in even { evens.append(value) }
        var everything: [Int] = []
        for try await value in all { everything.append(value) }
        #expect(evens == [2, 4, 6])
        #expect(everything == [1, 2, 3, 4, 5, 6])
    }
}
