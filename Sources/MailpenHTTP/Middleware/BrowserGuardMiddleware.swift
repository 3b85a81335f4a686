import Foundation
import HTTPTypes
import Hummingbird

/// Keeps web pages away from Mailpen. It runs next to the developer's browser, so any page they visit can
/// send it requests: a foreign `Host` means DNS rebinding (a page's own name pointed at this machine), and
/// a state-changing request from another origin means a page trying to ingest, create or delete. Command-line
/// clients and CI scripts send neither `Origin` nor `Sec-Fetch-*` and are not affected.
struct BrowserGuardMiddleware<Context: RequestContext>: RouterMiddleware {
    let allowedHosts: AllowedHosts

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws
        -> Response
    {
        // Liveness probes reach /healthz by whatever address the platform gives them; it tells nothing.
        if ["/healthz", "/livez", "/readyz"].contains(request.uri.path) { return try await next(request, context) }
        let authority = request.head.authority
        if let authority, !allowedHosts.allows(authority: authority) {
            return APIError.jsonResponse(
                status: .misdirectedRequest,
                message: "host '\(AllowedHosts.hostName(ofAuthority: authority))' is not served here; "
                    + "start Mailpen with --allowed-host NAME to serve it under that name")
        }
        if Self.changesState(request.method) || Self.opensWebSocket(request),
            let refusal = Self.crossOriginRefusal(request, authority: authority)
        {
            return APIError.jsonResponse(status: .forbidden, message: refusal)
        }
        return try await next(request, context)
    }

    static func changesState(_ method: HTTPRequest.Method) -> Bool {
        method != .get && method != .head && method != .options
    }

    /// A web socket handshake. CORS does not cover web sockets: a page of any site may open one and read
    /// what comes through, so it gets the same origin check as a state change.
    static func opensWebSocket(_ request: Request) -> Bool {
        request.headers.first { $0.name.canonicalName == "upgrade" }?.value.lowercased().contains("websocket") == true
    }

    /// Why a state-changing request is refused as coming from another site, or `nil` when it may proceed.
    static func crossOriginRefusal(_ request: Request, authority: String?) -> String? {
        let site = request.headers.first { $0.name.canonicalName == "sec-fetch-site" }?.value.lowercased()
        if let site, site != "same-origin", site != "none" {
            return
                "cross-origin request refused (Sec-Fetch-Site: \(site)): only Mailpen's own pages may change its data"
        }
        guard let origin = request.headers[.origin] else { return nil }
        guard let authority, let originAuthority = Self.authority(ofOrigin: origin),
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
