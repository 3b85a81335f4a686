/// An optional that the API's JSON always carries: `null` when there is no value, where synthesized
/// `Encodable` would leave the key out. Clients, and the OpenAPI schemas that mark these keys required,
/// can then tell "no value" from "not sent".
@propertyWrapper
struct ExplicitNull<Value: Encodable & Sendable>: Encodable, Sendable {
    var wrappedValue: Value?

    init(wrappedValue: Value?) {
        self.wrappedValue = wrappedValue
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        if let wrappedValue {
            try container.encode(wrappedValue)
        } else {
            try container.encodeNil()
        }
    }
}
