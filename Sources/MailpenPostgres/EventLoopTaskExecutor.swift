import NIOCore

/// Runs a task's nonisolated async calls on one event loop. postgres-nio's `execute` and `query` are
/// nonisolated async functions, which otherwise run on Swift's cooperative pool: every statement the writer
/// sends on its connection (whose channel is on the writer's loop) would hop from the loop to the pool and
/// back, each hop a thread wake-up. With this as the executor preference of a batch's statements (not of a
/// whole task, whose preference the tasks it starts would inherit) they stay on the loop.
final class EventLoopTaskExecutor: TaskExecutor {
    let loop: any EventLoop

    init(_ loop: any EventLoop) {
        self.loop = loop
    }

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        let executor = asUnownedTaskExecutor()
        loop.execute { job.runSynchronously(on: executor) }
    }
}
