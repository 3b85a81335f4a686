import NIOCore

extension SocketAddress {
    /// Whether the peer is on this machine's loopback interface: 127.0.0.0/8, `::1`, or an IPv4-mapped
    /// loopback address. Mail-access servers let such clients log in with a plaintext password without TLS.
    public var isLoopback: Bool {
        switch self {
        case .v4(let address):
            // `s_addr` is in network byte order: its first byte is the address's first octet.
            return withUnsafeBytes(of: address.address.sin_addr.s_addr) { $0.first == 127 }
        case .v6(let address):
            let bytes = withUnsafeBytes(of: address.address.sin6_addr) { Array($0) }
            guard bytes.count == 16 else { return false }
            if bytes[0..<15].allSatisfy({ $0 == 0 }) && bytes[15] == 1 { return true }
            let isMapped = bytes[0..<10].allSatisfy { $0 == 0 } && bytes[10] == 0xFF && bytes[11] == 0xFF
            return isMapped && bytes[12] == 127
        case .unixDomainSocket:
            return true
        }
    }
}
