import Foundation

/// Where to send SMTP: `--smtp`, `MAILPEN_SMTP`, or the default port on localhost.
enum SMTPAddress {
    static func resolve(_ given: String?) throws -> (host: String, port: Int) {
        let text = given ?? ProcessInfo.processInfo.environment["MAILPEN_SMTP"] ?? "127.0.0.1:2525"
        let (host, port) = try Parse.address(text, option: "--smtp")
        return (host == "0.0.0.0" ? "127.0.0.1" : host, port)
    }
}
