import NIOSSL
import Synchronization

/// Client TLS contexts, made once per (verification, extra roots) pair: loading the system's trust roots
/// for every delivery attempt would cost more than the handshake.
final class TLSContextCache: Sendable {
    private struct Key: Hashable {
        var verifiesCertificate: Bool
        var trustRootsPath: String?
    }

    private let contexts = Mutex<[Key: NIOSSLContext]>([:])

    func context(verifiesCertificate: Bool, trustRootsPath: String?) throws -> NIOSSLContext {
        let key = Key(verifiesCertificate: verifiesCertificate, trustRootsPath: trustRootsPath)
        return try contexts.withLock { contexts in
            if let context = contexts[key] { return context }
            var configuration = TLSConfiguration.makeClientConfiguration()
            configuration.minimumTLSVersion = .tlsv12
            configuration.certificateVerification = verifiesCertificate ? .fullVerification : .none
            if let trustRootsPath { configuration.additionalTrustRoots = [.file(trustRootsPath)] }
            let context = try NIOSSLContext(configuration: configuration)
            contexts[key] = context
            return context
        }
    }
}
