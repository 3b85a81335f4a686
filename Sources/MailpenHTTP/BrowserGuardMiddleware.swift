import Foundation
import HTTPTypes
import Hummingbird

/// Keeps web pages away from Mailpen. It runs next to the developer's browser, so any page they visit can
/// send it requests: a foreign `Host` means DNS rebinding (a page's own name pointed at this machine), and
/// a state-changing request from another origin means a page trying to ingest, create or delete. Command-line
/// clients and CI scripts send neither `Origin` nor `Sec-Fetch-*` and are not affected.
struct BrowserGuardMiddleware<Context: RequestContext>: RouterMiddleware {
    let allowedHosts: AllowedHosts

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        // Liveness probes reach /healthz by whatever address the platform gives them; it tells nothing.
        if request.uri.path == "/healthz" { return try await next(request, context) }
        let authority = request.head.authority
        if let authority, !allowedHosts.allows(authority: authority) {
            return APIError.jsonResponse(
                status: .misdirectedRequest,
                message: "host '\(AllowedHosts.hostName(ofAuthority: authority))' is not served here; "
                    + "start Mailpen with --allowed-host NAME to serve it under that name")
        }
        if Self.changesState(request.method), let refusal = Self.crossOriginRefusal(request, authority: authority) {
            return APIError.jsonResponse(status: .forbidden, message: refusal)
        }
        return try await next(request, context)
    }

    static func changesState(_ method: HTTPRequest.Method) -> Bool {
        method != .get && method != .head && method != .options
    }

    /// Why a state-changing request is refused as coming from another site, or `nil` when it may proceed.
    static func crossOriginRefusal(_ request: Request, authority: String?) -> String? {
        let site = request.headers.first { $0.name.canonicalName == "sec-fetch-site" }?.value.lowercased()
        if let site, site != "same-origin", site != "none" {
            return "cross-origin request refused (Sec-Fetch-Site: \(site)): only Mailpen's own pages may change its data"
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

/// The host names Mailpen answers to: loopback names always, the address it listens on, and the names an
/// operator adds (`--allowed-host`). Compared without the port, which an SSH forward or a proxy may change.
public struct AllowedHosts: Sendable, Equatable {
    /// Lower-cased names and addresses (IPv6 without brackets).
    public private(set) var names: Set<String>
    /// Whether every name is served (`--allowed-host '*'`), for operators who put their own guard in front.
    public private(set) var allowsAny: Bool

    /// The loopback names, the listening host unless it is a wildcard address, and `extra`.
    public init(listeningHost: String, extra: [String] = []) {
        var names: Set<String> = ["localhost", "127.0.0.1", "::1"]
        var allowsAny = false
        let listening = Self.normalized(listeningHost)
        if !["", "0.0.0.0", "::", "*"].contains(listening) { names.insert(listening) }
        for name in extra {
            if name.trimmingCharacters(in: .whitespaces) == "*" {
                allowsAny = true
            } else {
                let normalized = Self.normalized(name)
                if !normalized.isEmpty { names.insert(normalized) }
            }
        }
        self.names = names
        self.allowsAny = allowsAny
    }

    /// Whether a request's `Host` (`name`, `name:port`, `[v6]:port`) is served.
    public func allows(authority: String) -> Bool {
        allowsAny || names.contains(Self.normalized(Self.hostName(ofAuthority: authority)))
    }

    /// The host part of `name:port` or `[v6]:port`.
    static func hostName(ofAuthority authority: String) -> String {
        if authority.hasPrefix("["), let close = authority.firstIndex(of: "]") {
            return String(authority[authority.index(after: authority.startIndex)..<close])
        }
        if let colon = authority.lastIndex(of: ":"), authority.firstIndex(of: ":") == colon,
            authority[authority.index(after: colon)...].allSatisfy(\.isASCII)
        {
            return String(authority[..<colon])
        }
        return authority
    }

    /// Lower-cased, without IPv6 brackets or a trailing dot (`localhost.` is `localhost`).
    static func normalized(_ name: String) -> String {
        var name = name.trimmingCharacters(in: .whitespaces).lowercased()
        if name.hasPrefix("[") && name.hasSuffix("]") { name = String(name.dropFirst().dropLast()) }
        while name.hasSuffix(".") { name.removeLast() }
        return name
    }
}
