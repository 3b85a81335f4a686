import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdWebSocket
import MailpenStore
import ServiceLifecycle

extension MailpitAPI {
    /// `/api/events`: Mailpit's web socket of changes. Whatever the client sends is read and ignored; the
    /// stream ends when the client leaves, falls behind (it reconnects and reloads) or the server stops.
    func registerEvents(on router: Router<Context>) {
        let store = dependencies.store
        let version = dependencies.version
        router.ws("api/events") { request, _ in
            let upgrade = request.headers.first { $0.name.canonicalName == "upgrade" }?.value.lowercased() ?? ""
            guard upgrade.contains("websocket") else {
                throw HTTPError(.badRequest, message: "websocket: the client is not using the websocket protocol")
            }
            return .upgrade([:])
        } onUpgrade: { inbound, outbound, context in
            let frames = MailpitEventFrames(store: store, access: context.requestContext.inboxAccess, version: version)
            let events = await store.subscribe(bufferSize: 1024)
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask {
                    for try await _ in inbound {}
                }
                group.addTask {
                    do {
                        for try await event in events.cancelOnGracefulShutdown() {
                            for frame in await frames.frames(for: event) {
                                try await outbound.write(.text(frame))
                            }
                        }
                    } catch ChangeFeedError.fellBehind {
                        return
                    }
                }
                // Either ending (the client left, or the feed ended) ends the socket.
                _ = try await group.next()
                group.cancelAll()
            }
        }
    }
}
