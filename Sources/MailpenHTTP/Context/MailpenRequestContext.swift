import Foundation
import Hummingbird
import HummingbirdWebSocket
import MailpenCompat
import NIOCore

#if canImport(Glibc)
    import Glibc
#endif

/// The request context of Mailpen's HTTP API: JSON in and out with RFC 3339 millisecond dates, and the
/// route that matched, for metrics.
public struct MailpenRequestContext: RequestContext, CompatRequestContext {
    public var coreContext: CoreRequestContextStorage
    /// The client's address, recorded in the envelope of messages ingested over HTTP.
    public let remoteAddress: SocketAddress?
    /// The inboxes the request's credentials open (set by ``BasicAuthenticationMiddleware``).
    public var inboxAccess: InboxAccess = .everyInbox
    /// Where a web socket route leaves its handler for the upgrade (Mailpit's `/api/events`).
    public let webSocket = WebSocketHandlerReference<MailpenRequestContext>()
    /// The client's connection: streams close it when the client stops reading, long requests watch it to
    /// stop when the client hangs up.
    let channel: any Channel

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        remoteAddress = source.channel.remoteAddress
        channel = source.channel
    }

    /// A path parameter, percent-decoded (`shop%40example` is `shop@example`).
    func pathParameter(_ name: String) throws -> String {
        let raw = try parameters.require(name)
        return raw.removingPercentEncoding ?? raw
    }

    public var requestDecoder: JSONDecoder { APIJSON.decoder }
    public var responseEncoder: JSONEncoder { APIJSON.encoder }
    /// Raw messages may be large; the ingest route checks the configured limit itself.
    public var maxUploadSize: Int { 64 * 1024 * 1024 }
}
