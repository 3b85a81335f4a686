import Foundation
import HTTPTypes
import Hummingbird

/// Keeps web pages away from Mailpen. It runs next to the developer's browser, so any page they visit can
/// send it requests: a foreign `Host` means DNS rebinding (a page's own name pointed at this machine), and
/// a state-changing request from another origin means a page trying to ingest, create or delete. (The link
/// check applies the same test, ``crossOriginRefusal(_:)``, before it follows links.) Command-line clients
/// and CI scripts send neither `Origin` nor `Sec-Fetch-*` and are not affected.
struct BrowserGuardMiddleware<Context: RequestContext>: RouterMiddleware {
    let allowedHosts: AllowedHosts

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws
        -> Response
    {
        if let refusal = Self.refusal(BrowserRequestFacts(request), allowedHosts: allowedHosts) {
            return APIError.jsonResponse(status: refusal.status, message: refusal.message)
        }
        return try await next(request, context)
    }

    /// Why a request is refused, with its status, or `nil` when it may proceed. A pure decision on a few
    /// headers, so that a web socket handshake is judged the same before it reaches the router
    /// (``RefusedHandshakeHandler``).
    static func refusal(
        _ request: BrowserRequestFacts, allowedHosts: AllowedHosts
    ) -> (status: HTTPResponse.Status, message: String)? {
        // Liveness probes reach /healthz by whatever address the platform gives them; it tells nothing.
        if ["/healthz", "/livez", "/readyz"].contains(request.path) { return nil }
        if let authority = request.authority, !allowedHosts.allows(authority: authority) {
            return (
                .misdirectedRequest,
                "host '\(AllowedHosts.hostName(ofAuthority: authority))' is not served here; "
                    + "start Mailpen with --allowed-host NAME to serve it under that name"
            )
        }
        if request.changesState || request.opensWebSocket,
            let refusal = Self.crossOriginRefusal(request)
        {
            return (.forbidden, refusal)
        }
        return nil
    }

    /// Why a state-changing request is refused as coming from another site, or `nil` when it may proceed.
    static func crossOriginRefusal(_ request: BrowserRequestFacts) -> String? {
        if let site = request.fetchSite?.lowercased(), site != "same-origin", site != "none" {
            return
                "cross-origin request refused (Sec-Fetch-Site: \(site)): only Mailpen's own pages may change its data"
        }
        guard let origin = request.origin else { return nil }
        guard let authority = request.authority, let originAuthority = Self.authority(ofOrigin: origin),
            Self.sameAuthority(originAuthority, authority)
        else {
            return "cross-origin request refused (Origin: \(origin)): only Mailpen's own pages may change its data"
        }
        return nil
    }

    /// `host[:port]` of an origin such as `http://localhost:8025`, with the scheme's default port removed.
    static func authority(ofOrigin origin: String) -> String? {
        guard let separator = origin.range(of: "://") else { return nil }
        let scheme = origin[..<separator.lowerBound].lowercased()
        var authority = origin[separator.upperBound...].lowercased()
        guard !authority.isEmpty, !authority.contains("/") else { return nil }
        let defaultPort = scheme == "https" ? ":443" : scheme == "http" ? ":80" : nil
        if let defaultPort, authority.hasSuffix(defaultPort) { authority.removeLast(defaultPort.count) }
        return authority
    }

    /// Whether an origin's authority names the same host and port as a request's `Host`.
    static func sameAuthority(_ origin: String, _ host: String) -> Bool {
        var host = host.lowercased()
        if host.hasSuffix(":80") { host.removeLast(3) }
        return origin == host
    }
}

/// The facts ``BrowserGuardMiddleware`` decides on, read from a routed request or from the head of a web
/// socket handshake before it is upgraded.
struct BrowserRequestFacts: Sendable {
    var path: String
    var changesState: Bool
    /// A web socket handshake. CORS does not cover web sockets: a page of any site may open one and read
    /// what comes through, so it gets the same origin check as a state change. A page cannot send
    /// `Sec-WebSocket-Key` itself (browsers reserve `Sec-` headers), so it marks a handshake too.
    var opensWebSocket: Bool
    var authority: String?
    var origin: String?
    var fetchSite: String?

    init(
        path: String, changesState: Bool, upgrade: String?, webSocketKey: String?, authority: String?,
        origin: String?, fetchSite: String?
    ) {
        self.path = path
        self.changesState = changesState
        self.opensWebSocket = upgrade?.lowercased().contains("websocket") == true || webSocketKey != nil
        self.authority = authority
        self.origin = origin
        self.fetchSite = fetchSite
    }

    init(_ request: Request) {
        self.init(
            path: request.uri.path, changesState: Self.changesState(request.method),
            upgrade: request.headers[.upgrade], webSocketKey: request.headers[.secWebSocketKey],
            authority: request.head.authority, origin: request.headers[.origin],
            fetchSite: request.headers.first { $0.name.canonicalName == "sec-fetch-site" }?.value)
    }

    static func changesState(_ method: HTTPRequest.Method) -> Bool {
        method != .get && method != .head && method != .options
    }
}
