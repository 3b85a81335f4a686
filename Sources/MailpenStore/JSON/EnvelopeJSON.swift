import Foundation
import MailpenSMTPCore

/// Writes a ``MessageEnvelope`` as compact JSON by hand: it runs for every message on the SMTP path,
/// where `JSONEncoder` costs more than the rest of the preparation. ``SQLiteStore/envelope(id:)``
/// reads it back with `JSONDecoder`, and a test checks the two agree.
package enum EnvelopeJSON {
    package static func encode(_ envelope: MessageEnvelope) -> String {
        var output = "{"
        var first = true
        func key(_ name: String) {
            if !first { output += "," }
            first = false
            output += "\""
            output += name
            output += "\":"
        }
        func string(_ value: String) {
            JSONString.append(value, to: &output)
        }
        func parameters(_ values: [MessageEnvelope.Parameter]) {
            output += "["
            for (index, parameter) in values.enumerated() {
                if index > 0 { output += "," }
                output += "{\"keyword\":"
                string(parameter.keyword)
                if let value = parameter.value {
                    output += ",\"value\":"
                    string(value)
                }
                output += "}"
            }
            output += "]"
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
            output += String(value)
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
        output += "["
        for (index, recipient) in envelope.recipients.enumerated() {
            if index > 0 { output += "," }
            output += "{\"address\":"
            string(recipient.address)
            output += ",\"parameters\":"
            parameters(recipient.parameters)
            output += "}"
        }
        output += "]"
        key("source")
        string(envelope.source.rawValue)
        if let value = envelope.tlsVersion {
            key("tlsVersion")
            string(value)
        }
        if let value = envelope.usedExtendedHello {
            key("usedExtendedHello")
            output += value ? "true" : "false"
        }
        output += "}"
        return output
    }

    /// Reads back what ``encode(_:)`` wrote.
    package static func decode(_ json: String) throws -> MessageEnvelope {
        try JSONDecoder().decode(MessageEnvelope.self, from: Data(json.utf8))
    }
}
