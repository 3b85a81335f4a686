import Foundation
import Hummingbird
import MailpenChecks
import MailpenMIME
import MailpenStore

/// Any `Encodable` value as a JSON response, with the API's encoder.
struct JSONBody<Value: Encodable & Sendable>: ResponseEncodable, Sendable {
    let value: Value

    init(_ value: Value) {
        self.value = value
    }

    func encode(to encoder: any Encoder) throws {
        try value.encode(to: encoder)
    }
}
