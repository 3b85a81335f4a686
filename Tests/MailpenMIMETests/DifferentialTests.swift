import Foundation
import MailpenMIME
import Testing

/// Differential test against Python's `email` package (policy `default`) over every
/// fixture: `scripts/mime_diff.py` prints Python's view, this compares it field by
/// field with MailpenMIME's. Python must be installed: a missing `python3` fails.
///
/// Where MailpenMIME deliberately differs, the case is listed in `knownDifferences`
/// with the reason; a listed difference that no longer occurs fails too, so the
/// list stays accurate.
@Suite("Differential: Python email")
struct DifferentialTests {
    struct KnownDifference {
        let fixture: String
        let key: String
        let reason: String
    }

    static let commentAsName =
        "a comment after an addr-spec is used as the display name when there is none (as Go's net/mail and Thunderbird do); Python drops it"
    static let rfc6532 =
        "RFC 6532 UTF-8 in address headers: Python's address parser turns each 8-bit byte into U+FFFD; we decode UTF-8"
    static let latin1Headers =
        "raw 8-bit header bytes that are not UTF-8: Python shows U+FFFD; we decode them as Windows-1252/Latin-1"
    static let deliveryStatus =
        "message/delivery-status is a leaf (as in IMAP BODYSTRUCTURE) with a size; Python splits it into pseudo-messages per header block"
    static let dispositionNotification =
        "only message/rfc822 and message/global are parsed as encapsulated messages; Python parses every message/* type (here an MDN field block) as a message"
    static let windows1252 =
        "text labelled ISO-8859-1 is decoded as Windows-1252 (WHATWG rule): Python yields C1 control characters for smart quotes, dashes and the euro sign"
    static let cp949 =
        "ks_c_5601-1987 is what Outlook labels CP949 (Unified Hangul Code); Python maps it to strict EUC-KR and loses the extension syllables"
    static let fallback =
        "text invalid in its declared charset falls back to UTF-8, then Windows-1252, instead of U+FFFD replacement characters"
    static let unknownCharset =
        "unknown charset labels fall back to UTF-8 / Windows-1252; Python's get_content() raises LookupError"
    static let mislabelledUTF8 =
        "text labelled Latin-1 that is valid UTF-8 is decoded as UTF-8 (mislabelled by the sender); Python shows mojibake"

    static let knownDifferences: [KnownDifference] = [
        .init(fixture: "addresses-obsolete-syntax.eml", key: "cc", reason: commentAsName),
        .init(fixture: "addresses-groups-comments.eml", key: "to", reason: commentAsName),
        .init(fixture: "dsn-postfix-bounce.eml", key: "from", reason: commentAsName),
        .init(fixture: "addresses-utf8-smtputf8.eml", key: "from", reason: rfc6532),
        .init(fixture: "addresses-utf8-smtputf8.eml", key: "to", reason: rfc6532),
        .init(fixture: "eight-bit-headers-latin1.eml", key: "subject", reason: latin1Headers),
        .init(fixture: "eight-bit-headers-latin1.eml", key: "from", reason: latin1Headers),
        .init(fixture: "eight-bit-headers-latin1.eml", key: "to", reason: latin1Headers),
        .init(fixture: "dsn-postfix-bounce.eml", key: "part[2.1]", reason: deliveryStatus),
        .init(fixture: "dsn-postfix-bounce.eml", key: "part[2.2]", reason: deliveryStatus),
        .init(fixture: "dsn-postfix-bounce.eml", key: "part[2].size", reason: deliveryStatus),
        .init(fixture: "dsn-postfix-bounce.eml", key: "attachments", reason: deliveryStatus),
        .init(fixture: "dsn-exchange-ndr-headers.eml", key: "part[2.1]", reason: deliveryStatus),
        .init(fixture: "dsn-exchange-ndr-headers.eml", key: "part[2.2]", reason: deliveryStatus),
        .init(fixture: "dsn-exchange-ndr-headers.eml", key: "part[2].size", reason: deliveryStatus),
        .init(fixture: "dsn-exchange-ndr-headers.eml", key: "attachments", reason: deliveryStatus),
        .init(fixture: "mdn-read-receipt.eml", key: "part[2.1]", reason: dispositionNotification),
        .init(fixture: "mdn-read-receipt.eml", key: "part[2].size", reason: dispositionNotification),
        .init(fixture: "mdn-read-receipt.eml", key: "attachments", reason: dispositionNotification),
        .init(fixture: "outlook-exchange-windows1252.eml", key: "part[1].text", reason: windows1252),
        .init(fixture: "outlook-exchange-windows1252.eml", key: "part[2].text", reason: windows1252),
        .init(fixture: "outlook-exchange-windows1252.eml", key: "textBody", reason: windows1252),
        .init(fixture: "outlook-exchange-windows1252.eml", key: "htmlBody", reason: windows1252),
        .init(fixture: "wrong-charsets.eml", key: "part[2].text", reason: windows1252),
        .init(fixture: "charset-ks-c-5601-outlook.eml", key: "part[1].text", reason: cp949),
        .init(fixture: "charset-ks-c-5601-outlook.eml", key: "textBody", reason: cp949),
        .init(fixture: "wrong-charsets.eml", key: "part[1].text", reason: fallback),
        .init(fixture: "wrong-charsets.eml", key: "textBody", reason: fallback),
        .init(fixture: "wrong-charsets.eml", key: "part[3].text", reason: fallback),
        .init(fixture: "wrong-charsets.eml", key: "part[4].text", reason: unknownCharset),
        .init(fixture: "wrong-charsets.eml", key: "part[5].text", reason: mislabelledUTF8),
    ]

    /// Python's output (JSON text), computed once for all fixtures. Python runs on a thread of its own: the
    /// parameterised cases wait for it with `await`, not on a lock that would hold every thread of the
    /// shared test pool (and starve the network tests running beside them) for as long as Python takes.
    static let pythonOutput = Task<Result<Data, PythonError>, Never> {
        await withCheckedContinuation { continuation in
            Thread.detachNewThread { continuation.resume(returning: Self.runPython()) }
        }
    }

    struct PythonError: Error, CustomStringConvertible {
        let description: String
    }

    static func runPython() -> Result<Data, PythonError> {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = [
            "python3",
            Fixtures.repositoryRoot.appendingPathComponent("scripts/mime_diff.py").path,
            Fixtures.directory.path,
        ]
        let output = Pipe()
        let errors = Pipe()
        process.standardOutput = output
        process.standardError = errors
        do {
            try process.run()
        } catch {
            return .failure(PythonError(description: "cannot run python3: \(error)"))
        }
        let data = output.fileHandleForReading.readDataToEndOfFile()
        let errorText = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            return .failure(PythonError(description: "python3 failed (\(process.terminationStatus)): \(errorText)"))
        }
        return .success(data)
    }

    @Test("the fixture corpus has at least 40 messages")
    func corpusSize() {
        #expect(Fixtures.names.count >= 40)
    }

    @Test("MailpenMIME agrees with Python email", arguments: Fixtures.names)
    func agrees(fixture: String) async throws {
        let output: Data
        switch await Self.pythonOutput.value {
        case .success(let value):
            output = value
        case .failure(let error):
            Issue.record("\(error)")
            return
        }
        let python = try #require(
            try JSONSerialization.jsonObject(with: output) as? [String: Any], "python3 printed no JSON object"
        )
        let expected = try #require(python[fixture] as? [String: Any], "no Python result for \(fixture)")
        #expect(expected["error"] == nil, "Python failed on \(fixture): \(expected["error"] ?? "")")
        let actual = Self.swiftView(MIMEMessage(Fixtures.data(fixture)))
        let differences = Self.compare(python: expected, swift: actual)
        let known = Self.knownDifferences.filter { $0.fixture == fixture }
        for (key, values) in differences.sorted(by: { $0.key < $1.key }) where !known.contains(where: { $0.key == key })
        {
            Issue.record("\(fixture) \(key): python=\(values.python) swift=\(values.swift)")
        }
        for entry in known where differences[entry.key] == nil {
            Issue.record("\(fixture) \(entry.key): listed as a known difference but now agrees")
        }
    }

    // MARK: Swift side

    static func swiftView(_ message: MIMEMessage) -> [String: Any] {
        var view: [String: Any] = [
            "subject": message.subject ?? NSNull(),
            "date": message.date.map { Int($0.timeIntervalSince1970) } ?? NSNull(),
        ]
        for name in ["from", "sender", "reply-to", "to", "cc", "bcc"] {
            view[name] = message.addresses(name).map { address -> [String: Any] in
                [
                    "name": address.name ?? NSNull(),
                    "address": address.address,
                    "group": address.group ?? NSNull(),
                ]
            }
        }
        view["parts"] = message.allParts.map { part -> [String: Any] in
            let isLeafText = part.contentType.type == "text"
            let isContainer = !part.children.isEmpty
            let text: Any = isLeafText ? (message.decodedText(of: part) as Any? ?? NSNull()) : NSNull()
            return [
                "id": part.id,
                "type": part.contentType.mimeType,
                "filename": part.filename ?? NSNull(),
                "disposition": part.disposition ?? NSNull(),
                "contentID": part.contentID ?? NSNull(),
                "size": isContainer ? NSNull() : part.decodedSize,
                "text": text,
            ]
        }
        view["textBody"] = message.textBody ?? NSNull()
        view["textBodyPart"] = message.textBodyPart?.id ?? NSNull()
        view["htmlBody"] = message.htmlBody ?? NSNull()
        view["htmlBodyPart"] = message.htmlBodyPart?.id ?? NSNull()
        view["attachments"] = message.attachments.map { attachment -> [String: Any] in
            let part = message.part(withID: attachment.partID)
            let isMessage = part.map { !$0.children.isEmpty } ?? false
            return [
                "partID": attachment.partID,
                "filename": attachment.filename ?? NSNull(),
                "contentType": attachment.contentType,
                "size": isMessage ? NSNull() : attachment.size,
            ]
        }
        return view
    }

    // MARK: Comparison

    /// Canonical JSON text of a value, for comparing Python's and Swift's values.
    static func canonical(_ value: Any?) -> String {
        guard let value, !(value is NSNull) else {
            return "null"
        }
        if let data = try? JSONSerialization.data(
            withJSONObject: value, options: [.sortedKeys, .fragmentsAllowed, .withoutEscapingSlashes]
        ) {
            return String(decoding: data, as: UTF8.self)
        }
        return "\(value)"
    }

    /// Differences keyed `subject`, `to`, `part[1.2].text`, `attachments`, ….
    static func compare(python: [String: Any], swift: [String: Any]) -> [String: (python: String, swift: String)] {
        var differences: [String: (python: String, swift: String)] = [:]
        let scalarKeys = [
            "subject", "date", "from", "sender", "reply-to", "to", "cc", "bcc", "textBody", "textBodyPart",
            "htmlBody", "htmlBodyPart", "attachments",
        ]
        for key in scalarKeys {
            let lhs = canonical(python[key])
            let rhs = canonical(swift[key])
            if lhs != rhs {
                differences[key] = (lhs, rhs)
            }
        }
        let pythonParts = (python["parts"] as? [[String: Any]]) ?? []
        let swiftParts = (swift["parts"] as? [[String: Any]]) ?? []
        var pythonByID: [String: [String: Any]] = [:]
        var swiftByID: [String: [String: Any]] = [:]
        for part in pythonParts {
            pythonByID[part["id"] as? String ?? "?"] = part
        }
        for part in swiftParts {
            swiftByID[part["id"] as? String ?? "?"] = part
        }
        for id in Set(pythonByID.keys).union(swiftByID.keys) {
            guard let lhs = pythonByID[id], let rhs = swiftByID[id] else {
                differences["part[\(id)]"] = (
                    pythonByID[id] == nil ? "missing" : "present", swiftByID[id] == nil ? "missing" : "present"
                )
                continue
            }
            for attribute in ["type", "filename", "disposition", "contentID", "size", "text"] {
                let left = canonical(lhs[attribute])
                let right = canonical(rhs[attribute])
                if left != right {
                    differences["part[\(id)].\(attribute)"] = (left, right)
                }
            }
        }
        return differences
    }
}
