import Foundation
import Hummingbird
import MailpenStore
import NIOCore
import ServiceLifecycle

/// `GET /api/v1/events[?inbox=]`: server-sent events for the web UI and anyone else who wants to follow
/// along — `stored`, `deleted`, `read`, `inbox`, a comment heartbeat, and `resync` for a client that fell
/// too far behind (it must reload; its stream then ends, and `EventSource` reconnects). Streams end when the
/// server shuts down, so that an open browser tab never holds up a shutdown.
struct EventRoutes {
    let dependencies: MailpenHTTP.Dependencies

    func register(on group: RouterGroup<MailpenRequestContext>) {
        let store = dependencies.store
        let stallTimeout = dependencies.streamStallTimeout
        group.get("events") { request, context in
            let inbox = try request.queryValue("inbox")
            if let inbox, try await store.inbox(named: inbox) == nil { throw StoreError.inboxNotFound(inbox) }
            let events = await store.changes.subscribe(bufferSize: 1024)
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
                    do {
                        for try await event in events.cancelOnGracefulShutdown() {
                            guard let text = Self.serverSentEvent(for: event, inbox: inbox) else { continue }
                            try await send(text)
                        }
                    } catch ChangeFeedError.fellBehind {
                        try await send("event: resync\ndata: {}\n\n")
                    }
                    try await writer.finish(nil)
                })
        }
    }

    /// The text of one event, or `nil` for events this stream does not carry.
    static func serverSentEvent(for event: StoreEvent, inbox: String?) -> String? {
        if let inbox, !(event.isHeartbeat || event.inboxName.caseInsensitiveCompare(inbox) == .orderedSame) {
            return nil
        }
        let name: String
        let data: String
        switch event {
        case .heartbeat:
            return ": heartbeat\n\n"
        case .stored(let summary):
            name = "stored"
            data = json(SummaryResource(summary))
        case .updated(let summary):
            name = "read"
            data = json(SummaryResource(summary))
        case .deleted(let inbox, let ids):
            name = "deleted"
            data = "{\"inbox\":\(APIJSON.quoted(inbox)),\"ids\":[\(ids.map(APIJSON.quoted).joined(separator: ","))]}"
        case .cleared(let inbox):
            name = "inbox"
            data = "{\"name\":\(APIJSON.quoted(inbox)),\"change\":\"cleared\"}"
        case .inbox(let inbox, let change):
            name = "inbox"
            data = "{\"name\":\(APIJSON.quoted(inbox)),\"change\":\(APIJSON.quoted(change.rawValue))}"
        case .searchable:
            return nil
        }
        return "event: \(name)\ndata: \(data)\n\n"
    }

    private static func json(_ value: some Encodable) -> String {
        guard let data = try? APIJSON.encoder.encode(value) else { return "{}" }
        return String(decoding: data, as: UTF8.self)
    }
}
