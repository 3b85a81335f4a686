import Foundation
import HTTPTypes
import Hummingbird

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
