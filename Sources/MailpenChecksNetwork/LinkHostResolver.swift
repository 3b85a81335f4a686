import MailpenChecks
import NIOPosix
import Synchronization

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Turns a URL's host into the addresses link following may connect to; the seam that lets
/// tests answer for names no DNS server knows.
protocol LinkHostResolving: Sendable {
    /// The addresses of `host` (brackets removed) in the order to try them.
    func addresses(of host: String) async throws -> [IPAddress]
}

/// The host could not be resolved.
struct DNSLookupFailure: Error, Sendable, Equatable {
    var host: String
}

/// IP literals as written (every `inet_aton` spelling), names through the system's
/// `getaddrinfo` on threads of its own; a cancelled lookup returns at once.
struct SystemHostResolver: LinkHostResolving {
    /// Blocking lookups run here rather than on NIO's shared pool, which serves file I/O;
    /// as many threads as links are followed at once by default.
    private static let lookupThreads: NIOThreadPool = {
        let pool = NIOThreadPool(numberOfThreads: 8)
        pool.start()
        return pool
    }()

    func addresses(of host: String) async throws -> [IPAddress] {
        if let literal = IPAddress(literal: host) {
            return [literal]
        }
        let lookup = OneShotResult<[IPAddress]>()
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { continuation in
                lookup.attach(continuation)
                Self.lookupThreads.submit { state in
                    guard state == .active else {
                        lookup.finish(.failure(CancellationError()))
                        return
                    }
                    lookup.finish(Result { try Self.lookUp(host) })
                }
            }
        } onCancel: {
            lookup.finish(.failure(CancellationError()))
        }
    }

    /// TCP addresses of `host`, duplicates removed, in `getaddrinfo`'s order (RFC 6724).
    private static func lookUp(_ host: String) throws -> [IPAddress] {
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        #if canImport(Glibc)
            hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        #else
            hints.ai_socktype = SOCK_STREAM
        #endif
        hints.ai_protocol = Int32(IPPROTO_TCP)
        var list: UnsafeMutablePointer<addrinfo>?
        guard getaddrinfo(host, nil, &hints, &list) == 0, let list else {
            throw DNSLookupFailure(host: host)
        }
        defer { freeaddrinfo(list) }
        var addresses: [IPAddress] = []
        var entry: UnsafeMutablePointer<addrinfo>? = list
        while let current = entry {
            if let address = Self.address(current.pointee), !addresses.contains(address) {
                addresses.append(address)
            }
            entry = current.pointee.ai_next
        }
        guard !addresses.isEmpty else {
            throw DNSLookupFailure(host: host)
        }
        return addresses
    }

    private static func address(_ info: addrinfo) -> IPAddress? {
        guard let socketAddress = info.ai_addr else {
            return nil
        }
        switch Int32(socketAddress.pointee.sa_family) {
        case AF_INET:
            return socketAddress.withMemoryRebound(to: sockaddr_in.self, capacity: 1) {
                IPAddress(v4: UInt32(bigEndian: $0.pointee.sin_addr.s_addr))
            }
        case AF_INET6:
            return socketAddress.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) {
                let bytes = withUnsafeBytes(of: $0.pointee.sin6_addr) { Array($0) }
                return IPAddress(v6: bytes.reduce(0) { $0 << 8 | UInt128($1) })
            }
        default:
            return nil
        }
    }
}

/// A continuation resumed once, by whichever comes first: the result or a cancellation.
private final class OneShotResult<Value: Sendable>: Sendable {
    private struct State {
        var continuation: CheckedContinuation<Value, any Error>?
        var result: Result<Value, any Error>?
    }

    private let state = Mutex(State())

    /// Resumes `continuation` with the result, now if there is one already.
    func attach(_ continuation: CheckedContinuation<Value, any Error>) {
        let ready: Result<Value, any Error>? = self.state.withLock { state in
            if state.result == nil {
                state.continuation = continuation
            }
            return state.result
        }
        if let ready {
            continuation.resume(with: ready)
        }
    }

    /// The first call wins; later ones are ignored.
    func finish(_ result: Result<Value, any Error>) {
        let continuation: CheckedContinuation<Value, any Error>? = self.state.withLock { state in
            guard state.result == nil else {
                return nil
            }
            state.result = result
            defer { state.continuation = nil }
            return state.continuation
        }
        continuation?.resume(with: result)
    }
}
