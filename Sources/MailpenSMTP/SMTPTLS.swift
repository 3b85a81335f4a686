import Crypto
import Foundation
import NIOSSL
import SwiftASN1
import X509

/// Builds the TLS server contexts for STARTTLS and implicit TLS, from files or from a certificate made
/// in-process (`--tls auto`) so that TLS testing needs no setup.
public enum SMTPTLS {
    /// A context for the certificate chain and private key in the given PEM files.
    public static func makeContext(certificatePath: String, privateKeyPath: String) throws -> NIOSSLContext {
        let chain: [NIOSSLCertificate]
        do {
            chain = try NIOSSLCertificate.fromPEMFile(certificatePath)
        } catch {
            throw SMTPTLSError.unreadable(certificatePath, what: "certificate chain", reason: "\(error)")
        }
        guard !chain.isEmpty else { throw SMTPTLSError.noCertificate(certificatePath) }
        let key: NIOSSLPrivateKey
        do {
            key = try NIOSSLPrivateKey(file: privateKeyPath, format: .pem)
        } catch {
            throw SMTPTLSError.unreadable(privateKeyPath, what: "private key", reason: "\(error)")
        }
        let configuration = TLSConfiguration.makeServerConfiguration(
            certificateChain: chain.map { .certificate($0) }, privateKey: .privateKey(key))
        return try NIOSSLContext(configuration: configuration)
    }

    /// A context with a fresh self-signed P-256 certificate for `hostname` (and `localhost`), valid for a year.
    public static func makeSelfSignedContext(hostname: String) throws -> NIOSSLContext {
        let (certificatePEM, keyPEM) = try makeSelfSignedCertificate(hostname: hostname)
        let certificate = try NIOSSLCertificate(bytes: Array(certificatePEM.utf8), format: .pem)
        let key = try NIOSSLPrivateKey(bytes: Array(keyPEM.utf8), format: .pem)
        let configuration = TLSConfiguration.makeServerConfiguration(
            certificateChain: [.certificate(certificate)], privateKey: .privateKey(key))
        return try NIOSSLContext(configuration: configuration)
    }

    /// A self-signed certificate and its key, both PEM-encoded.
    public static func makeSelfSignedCertificate(hostname: String) throws -> (certificate: String, privateKey: String) {
        let key = P256.Signing.PrivateKey()
        let name = try DistinguishedName {
            CommonName(hostname)
            OrganizationName("Mailpen (self-signed)")
        }
        var names: [GeneralName] = [.dnsName(hostname)]
        if hostname != "localhost" { names.append(.dnsName("localhost")) }
        names.append(.ipAddress(ASN1OctetString(contentBytes: [127, 0, 0, 1])))
        let now = Date()
        let certificate = try Certificate(
            version: .v3,
            serialNumber: Certificate.SerialNumber(),
            publicKey: Certificate.PublicKey(key.publicKey),
            notValidBefore: now.addingTimeInterval(-3600),
            notValidAfter: now.addingTimeInterval(365 * 24 * 3600),
            issuer: name,
            subject: name,
            signatureAlgorithm: .ecdsaWithSHA256,
            extensions: try Certificate.Extensions {
                Critical(BasicConstraints.notCertificateAuthority)
                KeyUsage(digitalSignature: true, keyEncipherment: true)
                try ExtendedKeyUsage([.serverAuth])
                SubjectAlternativeNames(names)
            },
            issuerPrivateKey: Certificate.PrivateKey(key))
        return (try certificate.serializeAsPEM().pemString, key.pemRepresentation)
    }
}

/// Why a TLS context could not be built.
public enum SMTPTLSError: Error, CustomStringConvertible {
    case noCertificate(String)
    case unreadable(String, what: String, reason: String)

    public var description: String {
        switch self {
        case .noCertificate(let path):
            return "no certificate found in \(path)"
        case .unreadable(let path, let what, let reason):
            let exists = FileManager.default.fileExists(atPath: path)
            return "could not load the TLS \(what) from \(path): \(exists ? reason : "no such file")"
        }
    }
}
