import Foundation

/// A mailbox as shown in lists: display name and address.
public struct MessageAddress: Sendable, Hashable, Codable {
    public var name: String?
    public var address: String

    public init(name: String?, address: String) {
        self.name = name
        self.address = address
    }
}
