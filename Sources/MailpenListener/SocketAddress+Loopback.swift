import NIOCore

extension SocketAddress {
    /// Whether the peer is on this machine's loopback interface: 127.0.0.0/8, `::1`, or an IPv4-mapped
    /// loopback address. Mail-access servers let such clients log in with a plaintext password without TLS.
    public var isLoopback: Bool {
        switch self {
        case .v4:
            // `ipAddress` is the canonical dotted quad from inet_ntop.
            return ipAddress?.hasPrefix("127.") ?? false
        case .v6:
            // inet_ntop writes the loopback as `::1` and a mapped IPv4 address as `::ffff:a.b.c.d`.
            guard let text = ipAddress?.lowercased() else { return false }
            return text == "::1" || text.hasPrefix("::ffff:127.")
        case .unixDomainSocket:
            return true
        }
    }
}
