import Foundation
import HTTPTypes
import Hummingbird
import MailpenMIME
import MailpenStore
import ServiceLifecycle

/// The check an SMTP server makes of a MAIL FROM or RCPT TO address, for envelopes given over HTTP: a local
/// part and a domain around the last `@` (the domain neither starts nor ends with a dot), nothing a mail
/// header would need to quote (spaces, control characters, angle brackets, commas), at most 320 characters.
/// UTF-8 is fine (SMTPUTF8). The OpenAPI document states the same rule as a pattern, character for character.
enum EnvelopeAddress {
    static func isValid(_ address: String) -> Bool {
        let scalars = address.unicodeScalars
        guard scalars.count <= 320, !scalars.contains(where: isForbidden), let at = scalars.lastIndex(of: "@") else {
            return false
        }
        let local = scalars[..<at]
        let domain = scalars[scalars.index(after: at)...]
        return !local.isEmpty && !domain.isEmpty && domain.first != "." && domain.last != "."
    }

    /// Controls, the characters ECMAScript's `\s` names, and `<`, `>`, `,`.
    private static func isForbidden(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x00...0x20, 0x7F...0xA0, 0x1680, 0x2000...0x200A, 0x2028, 0x2029, 0x202F, 0x205F, 0x3000, 0xFEFF:
            return true
        default: return "<>,".unicodeScalars.contains(scalar)
        }
    }
}
