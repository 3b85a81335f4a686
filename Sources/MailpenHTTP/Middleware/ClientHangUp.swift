import NIOCore

/// Cancels work done for a request when its client hangs up.
///
/// Hummingbird does not cancel a route's task when the connection goes away, so a route that
/// may run long (link following) runs its work in a task of its own and watches the connection:
/// the client closing its side (or the connection closing) cancels that task.
enum ClientHangUp {
    /// `body`'s result; `body` is cancelled when the client hangs up or the calling task is cancelled.
    static func cancelling<Value: Sendable>(
        on channel: any Channel,
        _ body: @escaping @Sendable () async -> Value
    ) async -> Value {
        let task = Task { await body() }
        let watcher = Watcher { task.cancel() }
        try? await channel.pipeline.addHandler(watcher, position: .first).get()
        let value = await withTaskCancellationHandler {
            await task.value
        } onCancel: {
            task.cancel()
        }
        try? await channel.pipeline.removeHandler(watcher).get()
        return value
    }

    /// Passes everything on and calls `onHangUp` when input ends or the connection closes.
    private final class Watcher: ChannelInboundHandler, RemovableChannelHandler, Sendable {
        typealias InboundIn = NIOAny

        private let onHangUp: @Sendable () -> Void

        init(onHangUp: @escaping @Sendable () -> Void) {
            self.onHangUp = onHangUp
        }

        func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
            if let event = event as? ChannelEvent, event == .inputClosed {
                self.onHangUp()
            }
            context.fireUserInboundEventTriggered(event)
        }

        func channelInactive(context: ChannelHandlerContext) {
            self.onHangUp()
            context.fireChannelInactive()
        }
    }
}
