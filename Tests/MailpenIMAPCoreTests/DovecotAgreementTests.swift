import Foundation
import MailpenMIME
import Testing

@testable import MailpenIMAPCore

/// ENVELOPE, BODYSTRUCTURE, BODY and RFC822.SIZE of every message in fixtures/mime, compared with what
/// Dovecot 2.3 answers for the same message (recorded by fixtures/imap/dovecot/regenerate.sh). Values are
/// compared as parsed IMAP data, so a quoted string and a literal with the same bytes are equal.
@Suite("Agreement with Dovecot")
struct DovecotAgreementTests {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    static let fixtures: [String] = {
        let folder = repository.appendingPathComponent("fixtures/imap/dovecot")
        let names = (try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []
        return names.filter { $0.hasSuffix(".txt") }.map { String($0.dropLast(4)) }.sorted()
    }()

    /// Where Mailpen's MIME parser reads a broken message differently from Dovecot's, and keeps to its own
    /// reading so that the sections it serves agree with the structure it reports.
    static let knownDifferences: [String: (items: Set<String>, reason: String)] = [
        "boundary-not-found": (["BODYSTRUCTURE", "BODY"], "a multipart whose boundary never occurs is one text part"),
        "multipart-no-boundary-param": (["BODYSTRUCTURE", "BODY"], "a multipart without a boundary is one text part"),
        "invalid-content-type-and-encoding": (
            ["BODYSTRUCTURE", "BODY"], "an invalid type is text/plain (RFC 2045), not text/\"\""
        ),
        "malformed-header-line": (
            ["ENVELOPE", "BODYSTRUCTURE", "BODY"], "the header ends at the first line that is no field"
        ),
        "missing-final-boundary": (["BODYSTRUCTURE", "BODY"], "the last part's final line break is not part of it"),
        "preamble-epilogue": (["BODYSTRUCTURE", "BODY"], "consecutive delimiters make no empty part"),
    ]

    @Test func everyMIMEFixtureHasADovecotRecording() {
        let messages =
            (try? FileManager.default.contentsOfDirectory(
                atPath: Self.repository.appendingPathComponent("fixtures/mime").path)) ?? []
        #expect(Self.fixtures.count == messages.filter { $0.hasSuffix(".eml") }.count)
        #expect(Self.fixtures.count > 50)
    }

    @Test(arguments: fixtures)
    func agreesWithDovecot(name: String) throws {
        let raw = try Array(Data(contentsOf: Self.repository.appendingPathComponent("fixtures/mime/\(name).eml")))
        let recorded = try Array(
            Data(contentsOf: Self.repository.appendingPathComponent("fixtures/imap/dovecot/\(name).txt")))
        let dovecot = try IMAPValue.fetchItems(recorded)

        let content = IMAPMessageContent(raw: raw)
        var writer = IMAPWriter()
        writer.raw("* 1 FETCH (RFC822.SIZE \(content.bytes.count) ENVELOPE ")
        IMAPEnvelope(content: content, part: content.message.root).write(to: &writer)
        writer.raw(" BODYSTRUCTURE ")
        IMAPBodyStructure(content: content, extensible: true).write(to: &writer)
        writer.raw(" BODY ")
        IMAPBodyStructure(content: content, extensible: false).write(to: &writer)
        writer.raw(")\r\n")
        let ours = try IMAPValue.fetchItems(writer.bytes)

        let known = Self.knownDifferences[name]?.items ?? []
        for item in ["RFC822.SIZE", "ENVELOPE", "BODYSTRUCTURE", "BODY"] {
            if known.contains(item) {
                #expect(ours[item] != dovecot[item], "\(name) \(item) now agrees: drop it from the known differences")
            } else {
                #expect(
                    ours[item] == dovecot[item],
                    "\(name) \(item)\n  dovecot: \(dovecot[item].map(String.init(describing:)) ?? "")\n  mailpen: \(ours[item].map(String.init(describing:)) ?? "")"
                )
            }
        }
    }
}

/// IMAP response data parsed into a tree, for comparing responses regardless of how strings were written.
indirect enum IMAPValue: Equatable, CustomStringConvertible {
    case atom(String)
    case string([UInt8])
    case list([IMAPValue])

    struct Malformed: Error {}

    var description: String {
        switch self {
        case .atom(let text): return text
        case .string(let bytes): return "\"" + String(decoding: bytes, as: UTF8.self) + "\""
        case .list(let items): return "(" + items.map(\.description).joined(separator: " ") + ")"
        }
    }

    /// The items of a `* n FETCH (...)` response by name.
    static func fetchItems(_ bytes: [UInt8]) throws -> [String: IMAPValue] {
        var index = 0
        while index < bytes.count, bytes[index] != UInt8(ascii: "(") { index += 1 }
        guard case .list(let items) = try parse(bytes, &index), items.count % 2 == 0 else { throw Malformed() }
        var result: [String: IMAPValue] = [:]
        for pair in stride(from: 0, to: items.count, by: 2) {
            guard case .atom(let name) = items[pair] else { throw Malformed() }
            result[name] = items[pair + 1]
        }
        return result
    }

    static func parse(_ bytes: [UInt8], _ index: inout Int) throws -> IMAPValue {
        while index < bytes.count, bytes[index] == 0x20 { index += 1 }
        guard index < bytes.count else { throw Malformed() }
        switch bytes[index] {
        case UInt8(ascii: "("):
            index += 1
            var items: [IMAPValue] = []
            while true {
                while index < bytes.count, bytes[index] == 0x20 { index += 1 }
                guard index < bytes.count else { throw Malformed() }
                if bytes[index] == UInt8(ascii: ")") {
                    index += 1
                    return .list(items)
                }
                items.append(try parse(bytes, &index))
            }
        case UInt8(ascii: "\""):
            index += 1
            var out: [UInt8] = []
            while index < bytes.count, bytes[index] != UInt8(ascii: "\"") {
                if bytes[index] == UInt8(ascii: "\\") { index += 1 }
                guard index < bytes.count else { throw Malformed() }
                out.append(bytes[index])
                index += 1
            }
            index += 1
            return .string(out)
        case UInt8(ascii: "{"):
            guard let close = bytes[index...].firstIndex(of: UInt8(ascii: "}")),
                let count = Int(String(decoding: bytes[(index + 1)..<close], as: UTF8.self))
            else { throw Malformed() }
            index = close + 3
            guard index + count <= bytes.count else { throw Malformed() }
            defer { index += count }
            return .string(Array(bytes[index..<index + count]))
        default:
            let start = index
            while index < bytes.count, ![0x20, UInt8(ascii: "("), UInt8(ascii: ")")].contains(bytes[index]) {
                index += 1
            }
            return .atom(String(decoding: bytes[start..<index], as: UTF8.self))
        }
    }
}
