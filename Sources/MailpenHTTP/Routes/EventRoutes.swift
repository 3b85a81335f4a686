import Foundation
import Hummingbird
import MailpenRelay
import MailpenStore
import NIOCore
import ServiceLifecycle
import Synchronization

/// `GET /api/v1/events[?inbox=]`: server-sent events for the web UI and anyone else who wants to follow
/// along — `stored`, `deleted`, `read`, `inbox`, `delivery` (a relay delivery changed), a comment heartbeat, and `resync` for a client that fell
/// too far behind (it must reload; its stream then ends, and `EventSource` reconnects). Streams end when the
/// server shuts down, so that an open browser tab never holds up a shutdown.
struct EventRoutes {
    let dependencies: MailpenHTTP.Dependencies

    /// What a stream writes next.
    private enum Output: Sendable {
        case event(StoreEvent)
        case delivery(Delivery)
        /// A comment that keeps proxies and browsers from timing the connection out.
        case heartbeat
        /// Events were lost: the client must reload.
        case resync
    }

    func register(on group: RouterGroup<MailpenRequestContext>) {
        group.get("events", use: stream)
    }

    @Sendable func stream(_ request: Request, context: MailpenRequestContext) async throws -> Response {
        let store = dependencies.store
        let stallTimeout = dependencies.streamStallTimeout
        let heartbeatInterval = dependencies.heartbeatInterval
        let inbox = try request.queryValue("inbox")
        if let inbox, try await store.inbox(named: inbox) == nil { throw StoreError.inboxNotFound(inbox) }
        let events = await store.subscribe(bufferSize: 1024)
        let relayChanges = dependencies.relays?.deliveryChanges()
        let channel = context.channel
        return Response(
            status: .ok,
            headers: [.contentType: "text/event-stream", .cacheControl: "no-cache"],
            body: ResponseBody { writer in
                /// Writes one event; a client that has not taken it within the timeout (it stopped reading
                /// and its socket is full) is disconnected rather than waited on.
                func send(_ text: String) async throws {
                    let watchdog = Task {
                        try await Task.sleep(for: stallTimeout)
                        channel.close(promise: nil)
                    }
                    defer { watchdog.cancel() }
                    try await writer.write(ByteBuffer(string: text))
                }
                try await send("retry: 1000\n: connected\n\n")
                let (outputs, output) = AsyncStream.makeStream(of: Output.self, bufferingPolicy: .bufferingOldest(1024))
                try await withThrowingDiscardingTaskGroup { group in
                    group.addTask {
                        defer { output.finish() }
                        do {
                            for try await event in events.cancelOnGracefulShutdown() {
                                // A stream the writer cannot keep up with has lost events: the client reloads.
                                if case .dropped = output.yield(.event(event)) { break }
                            }
                        } catch ChangeFeedError.fellBehind {
                            output.yield(.resync)
                        }
                    }
                    if let deliveries = relayChanges {
                        group.addTask {
                            for await delivery in deliveries.cancelOnGracefulShutdown() {
                                output.yield(.delivery(delivery))
                            }
                        }
                    }
                    group.addTask {
                        while true {
                            try await Task.sleep(for: heartbeatInterval)
                            output.yield(.heartbeat)
                        }
                    }
                    var lostEvents = false
                    for await next in outputs {
                        switch next {
                        case .event(let event):
                            guard let text = Self.serverSentEvent(for: event, inbox: inbox) else { continue }
                            try await send(text)
                        case .delivery(let delivery):
                            if let inbox, delivery.inbox.caseInsensitiveCompare(inbox) != .orderedSame { continue }
                            try await send("event: delivery\ndata: \(Self.json(delivery))\n\n")
                        case .heartbeat:
                            try await send(": heartbeat\n\n")
                        case .resync:
                            lostEvents = true
                        }
                    }
                    if lostEvents { try await send("event: resync\ndata: {}\n\n") }
                    group.cancelAll()
                }
                try await writer.finish(nil)
            })
    }

    /// The text of one event, or `nil` for an event of another inbox than the stream's.
    static func serverSentEvent(for event: StoreEvent, inbox: String?) -> String? {
        if let inbox, event.inboxName.caseInsensitiveCompare(inbox) != .orderedSame { return nil }
        let name: String
        let data: String
        switch event {
        case .stored(let summary):
            name = "stored"
            data = SummaryJSON.string(summary)
        case .updated(let summary):
            name = "read"
            data = SummaryJSON.string(summary)
        case .deleted(let inbox, let ids):
            name = "deleted"
            data = "{\"inbox\":\(JSONString.quoted(inbox)),\"ids\":\(JSONString.quotedArray(ids))}"
        case .cleared(let inbox):
            name = "inbox"
            data = "{\"name\":\(JSONString.quoted(inbox)),\"change\":\"cleared\"}"
        case .inbox(let inbox, let change):
            name = "inbox"
            data = "{\"name\":\(JSONString.quoted(inbox)),\"change\":\(JSONString.quoted(change.rawValue))}"
        }
        return "event: \(name)\ndata: \(data)\n\n"
    }

    private static func json(_ delivery: Delivery) -> String {
        (try? APIObjectJSON.delivery(delivery)) ?? "{}"
    }
}
