import Foundation
import MailpenChecks
import NIOCore

/// Where AsyncHTTPClient would connect for a URL, read exactly as it reads it (Foundation's
/// `URL`, host brackets trimmed, IPv6 keyed with brackets), so an address checked by the
/// link follower can be pinned with the client's `dnsOverride` under the very key the client
/// looks up: the client then connects to that address and resolves nothing itself, while the
/// `Host` header, SNI and certificate check keep the URL's host.
struct LinkConnectionTarget: Sendable, Equatable {
    /// The URL's host, brackets removed: what is resolved.
    var host: String
    /// The URL's port or the scheme's.
    var port: Int
    /// The client's connection key for the host (`dnsOverride` key).
    var overrideKey: String

    /// nil when the client would refuse the URL too (not http(s), no host) or the port is out
    /// of range (which would trap in `SocketAddress`).
    init?(url text: String) {
        guard let url = URL(string: text), let scheme = url.scheme?.lowercased(),
            scheme == "http" || scheme == "https",
            var host = url.host, !host.isEmpty
        else {
            return nil
        }
        if host.hasPrefix("["), host.hasSuffix("]") {
            host = String(host.dropFirst().dropLast())
        }
        let port = url.port ?? (scheme == "https" ? 443 : 80)
        guard (0...65535).contains(port) else {
            return nil
        }
        self.host = host
        self.port = port
        if case .v6? = try? SocketAddress(ipAddress: host, port: port) {
            self.overrideKey = "[\(host)]"
        } else {
            self.overrideKey = host
        }
    }
}
