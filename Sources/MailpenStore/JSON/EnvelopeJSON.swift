import Foundation
import MailpenSMTPCore

/// Writes a ``MessageEnvelope`` as compact JSON by hand: it runs for every message on the SMTP path,
/// where `JSONEncoder` costs more than the rest of the preparation. ``SQLiteStore/envelope(id:)``
/// reads it back with `JSONDecoder`, and a test checks the two agree.
package enum EnvelopeJSON {
    package static func encode(_ envelope: MessageEnvelope) -> String {
        // Written as bytes: appending thirty small pieces to a `String` cost more than the escaping.
        var output: [UInt8] = []
        output.reserveCapacity(256)
        output.append(UInt8(ascii: "{"))
        var first = true
        func raw(_ text: StaticString) {
            text.withUTF8Buffer { output.append(contentsOf: $0) }
        }
        func key(_ name: StaticString) {
            if !first { output.append(UInt8(ascii: ",")) }
            first = false
            output.append(UInt8(ascii: "\""))
            raw(name)
            raw("\":")
        }
        func string(_ value: String) {
            JSONString.append(value, to: &output)
        }
        func parameters(_ values: [MessageEnvelope.Parameter]) {
            output.append(UInt8(ascii: "["))
            for (index, parameter) in values.enumerated() {
                if index > 0 { output.append(UInt8(ascii: ",")) }
                raw("{\"keyword\":")
                string(parameter.keyword)
                if let value = parameter.value {
                    raw(",\"value\":")
                    string(value)
                }
                output.append(UInt8(ascii: "}"))
            }
            output.append(UInt8(ascii: "]"))
        }
        if let value = envelope.authenticatedUser {
            key("authenticatedUser")
            string(value)
        }
        if let value = envelope.clientAddress {
            key("clientAddress")
            string(value)
        }
        if let value = envelope.clientPort {
            key("clientPort")
            output.append(contentsOf: String(value).utf8)
        }
        if let value = envelope.heloName {
            key("heloName")
            string(value)
        }
        key("mailFrom")
        string(envelope.mailFrom)
        key("mailParameters")
        parameters(envelope.mailParameters)
        key("recipients")
        output.append(UInt8(ascii: "["))
        for (index, recipient) in envelope.recipients.enumerated() {
            if index > 0 { output.append(UInt8(ascii: ",")) }
            raw("{\"address\":")
            string(recipient.address)
            raw(",\"parameters\":")
            parameters(recipient.parameters)
            output.append(UInt8(ascii: "}"))
        }
        output.append(UInt8(ascii: "]"))
        key("source")
        string(envelope.source.rawValue)
        if let value = envelope.tlsVersion {
            key("tlsVersion")
            string(value)
        }
        if let value = envelope.usedExtendedHello {
            key("usedExtendedHello")
            value ? raw("true") : raw("false")
        }
        output.append(UInt8(ascii: "}"))
        return String(decoding: output, as: UTF8.self)
    }

    /// Reads back what ``encode(_:)`` wrote.
    package static func decode(_ json: String) throws -> MessageEnvelope {
        try JSONDecoder().decode(MessageEnvelope.self, from: Data(json.utf8))
    }
}
