import Foundation
import MailpenMIME
import Testing

@testable import MailpenChecks

/// Paths and builders shared by the MailpenChecks tests.
enum TestSupport {
    /// The repository root (this file is Tests/MailpenChecksTests/TestSupport.swift).
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    static func fixture(_ path: String) -> URL {
        root.appendingPathComponent("fixtures/checks").appendingPathComponent(path)
    }

    static func fixtureBytes(_ path: String) throws -> [UInt8] {
        Array(try Data(contentsOf: fixture(path)))
    }

    static func fixtureText(_ path: String) throws -> String {
        String(decoding: try fixtureBytes(path), as: UTF8.self)
    }

    /// The caniemail data read from the source tree (independent of the resource bundle).
    static let database: CanIEmailDatabase = {
        let url = root.appendingPathComponent("Sources/MailpenChecks/Resources/caniemail.json")
        do {
            return try CanIEmailDatabase(contentsOf: url)
        } catch {
            fatalError("cannot load \(url.path): \(error)")
        }
    }()

    static let checks = MessageChecks(caniemail: database)

    /// A message from header lines and a body, with CRLF line endings.
    static func raw(_ headers: [String], body: String) -> [UInt8] {
        let text =
            headers.joined(separator: "\r\n") + "\r\n\r\n"
            + body.replacingOccurrences(of: "\r\n", with: "\n")
            .replacingOccurrences(of: "\n", with: "\r\n")
        return Array(text.utf8)
    }

    /// The usual well-formed header block, with `extra` added and `without` removed (by field name).
    static func headers(_ extra: [String] = [], without: [String] = []) -> [String] {
        let base = [
            "From: Example Shop <news@example.com>",
            "To: Alice <alice@example.org>",
            "Subject: Your order has shipped",
            "Date: Tue, 04 Mar 2025 10:00:00 +0000",
            "Message-ID: <order-1@mail.example.com>",
            "MIME-Version: 1.0",
        ]
        let removed = Set(without.map { $0.lowercased() })
        let kept = base.filter { line in
            let name = line.prefix { $0 != ":" }.lowercased()
            return !removed.contains(name) && !extra.contains { $0.prefix { $0 != ":" }.lowercased() == name }
        }
        return kept + extra
    }

    /// A context for `raw`, received at the fixtures' Date with an aligned envelope.
    static func context(
        _ raw: [UInt8],
        envelope: CheckEnvelope? = CheckEnvelope(mailFrom: "bounce@mail.example.com", bodyParameter: "8BITMIME"),
        receivedAt: Date = Date(timeIntervalSince1970: 1_741_082_400)  // 2025-03-04 10:00:00 UTC
    ) -> CheckContext {
        CheckContext(raw: raw, envelope: envelope, receivedAt: receivedAt)
    }

    /// A multipart/alternative message with both bodies.
    static func alternative(text: String, html: String, headers extra: [String] = []) -> [UInt8] {
        raw(
            headers(extra + ["Content-Type: multipart/alternative; boundary=\"alt\""]),
            body: """
                --alt
                Content-Type: text/plain; charset=utf-8

                \(text)
                --alt
                Content-Type: text/html; charset=utf-8

                \(html)
                --alt--

                """
        )
    }
}
