import Foundation
import Hummingbird
import MailpenStore

/// Where and how clients reach the SMTP server; shown with every inbox so users can copy their settings.
public struct SMTPAdvertisement: Sendable {
    public var host: String
    public var port: Int
    public var startTLS: Bool
    public var implicitTLSPort: Int?

    public init(host: String, port: Int, startTLS: Bool, implicitTLSPort: Int?) {
        self.host = host
        self.port = port
        self.startTLS = startTLS
        self.implicitTLSPort = implicitTLSPort
    }
}
