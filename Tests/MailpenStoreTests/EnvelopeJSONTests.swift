import Foundation
import MailpenSMTPCore
import Testing

@testable import MailpenStore

@Suite("Envelope JSON")
struct EnvelopeJSONTests {
    static let envelopes: [MessageEnvelope] = [
        MessageEnvelope(source: .smtp, mailFrom: "", recipients: []),
        MessageEnvelope(
            source: .smtp, mailFrom: "jürgen@bücher.example",
            mailParameters: [.init(keyword: "SIZE", value: "10"), .init(keyword: "SMTPUTF8", value: nil)],
            recipients: [
                .init(address: "\"odd \\\" quote\"@x.example", parameters: [.init(keyword: "NOTIFY", value: "NEVER")])
            ],
            heloName: "tab\there\u{1}\u{8}\u{C}\u{7F}", usedExtendedHello: true, clientAddress: "::1",
            clientPort: 65535,
            tlsVersion: "TLSv1.3", authenticatedUser: "shop"),
        MessageEnvelope(source: .http, mailFrom: "a@b", recipients: [.init(address: "c@d")], usedExtendedHello: false),
    ]

    @Test("hand-written JSON decodes to the same envelope", arguments: envelopes)
    func roundTrip(envelope: MessageEnvelope) throws {
        let json = EnvelopeJSON.encode(envelope)
        let decoded = try JSONDecoder().decode(MessageEnvelope.self, from: Data(json.utf8))
        #expect(decoded == envelope)
        // Same keys and order as JSONEncoder with sorted keys.
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let reference = try JSONSerialization.jsonObject(with: encoder.encode(envelope)) as? NSDictionary
        let ours = try JSONSerialization.jsonObject(with: Data(json.utf8)) as? NSDictionary
        #expect(reference == ours)
    }
}
