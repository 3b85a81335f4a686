import Foundation
import Mailpen

/// Where to send SMTP: `--smtp`, `MAILPEN_SMTP`, or where `mailpen serve` listens by default.
enum SMTPAddress {
    /// `mailpen serve`'s SMTP address when not told otherwise.
    static let defaultAddress: String = {
        let defaults = MailpenConfiguration()
        return "\(defaults.smtpHost):\(defaults.smtpPort)"
    }()

    static func resolve(_ given: String?) throws -> (host: String, port: Int) {
        let text = given ?? ProcessInfo.processInfo.environment["MAILPEN_SMTP"] ?? defaultAddress
        let (host, port) = try Parse.address(text, option: "--smtp")
        return (host == "0.0.0.0" ? "127.0.0.1" : host, port)
    }
}
