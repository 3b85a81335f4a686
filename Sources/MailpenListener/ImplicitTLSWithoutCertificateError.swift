/// Why a mail-access server could not start: an implicit-TLS listener is configured without a certificate.
public struct ImplicitTLSWithoutCertificateError: Error, CustomStringConvertible {
    /// The protocol, such as "IMAP".
    public var protocolName: String
    /// The command-line option of the listener, such as "--imaps".
    public var option: String

    public var description: String {
        "the implicit-TLS \(protocolName) listener (\(option)) needs a certificate: pass --tls-cert and --tls-key, "
            + "or --tls auto"
    }
}
