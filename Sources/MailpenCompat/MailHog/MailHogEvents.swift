import Foundation
import Hummingbird
import MailpenStore
import NIOCore
import ServiceLifecycle

/// `GET /api/v1/events`: MailHog's server-sent events, one `data:` event with the full message for each new
/// message the client may see, and a comment now and then to keep the connection open.
struct MailHogEvents<Context: CompatRequestContext>: Sendable {
    let dependencies: CompatDependencies

    func register(on router: Router<Context>) {
        let store = dependencies.store
        let heartbeat = dependencies.heartbeatInterval
        router.get("api/v1/events") { _, context in
            let access = context.inboxAccess
            let events = await store.subscribe(bufferSize: 1024)
            return Response(
                status: .ok,
                headers: [.contentType: "text/event-stream", .cacheControl: "no-cache"],
                body: ResponseBody { writer in
                    try await writer.write(ByteBuffer(string: ": connected\n\n"))
                    try await withThrowingTaskGroup(of: String?.self) { group in
                        let (texts, continuation) = AsyncStream.makeStream(
                            of: String.self, bufferingPolicy: .bufferingOldest(1024))
                        group.addTask {
                            defer { continuation.finish() }
                            do {
                                for try await event in events.cancelOnGracefulShutdown() {
                                    guard case .stored(let summary) = event, access.allows(inbox: summary.inbox),
                                        let stored = try await store.message(id: summary.id)
                                    else { continue }
                                    continuation.yield("data: " + CompatJSON.string(MailHog.Message(stored)) + "\n\n")
                                }
                            } catch ChangeFeedError.fellBehind {
                                return nil
                            }
                            return nil
                        }
                        group.addTask {
                            while true {
                                try await Task.sleep(for: heartbeat)
                                continuation.yield(": ping\n\n")
                            }
                        }
                        for await text in texts { try await writer.write(ByteBuffer(string: text)) }
                        group.cancelAll()
                    }
                    try await writer.finish(nil)
                })
        }
    }
}
