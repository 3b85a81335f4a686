/// Which addresses link following may connect to.
///
/// The links come from captured mail, so anyone who can send Mailpen a message chooses them:
/// by default only public addresses are requested, never this machine (loopback), its LAN or
/// other non-public ranges. The decision is made on the resolved address about to be
/// connected to, for every redirect hop.
struct LinkAddressPolicy: Sendable, Equatable {
    /// Every address may be requested (for people who check links to their own staging hosts).
    var allowsPrivateAddresses: Bool
    /// Non-public address and port pairs allowed anyway; lets tests stand a loopback server in
    /// for a public one while every other loopback port stays refused.
    var allowedEndpoints: Set<LinkEndpoint>

    init(allowsPrivateAddresses: Bool = false, allowedEndpoints: Set<LinkEndpoint> = []) {
        self.allowsPrivateAddresses = allowsPrivateAddresses
        self.allowedEndpoints = allowedEndpoints
    }

    /// The class that makes `address` off limits, nil when it may be connected to on `port`.
    func refusedClass(of address: IPAddress, port: Int) -> IPAddressClass? {
        let addressClass = address.addressClass
        if addressClass == .global || self.allowsPrivateAddresses
            || self.allowedEndpoints.contains(LinkEndpoint(address: address, port: port))
        {
            return nil
        }
        return addressClass
    }
}

/// An address and TCP port.
struct LinkEndpoint: Hashable, Sendable {
    var address: IPAddress
    var port: Int
}

/// A link (or redirect hop) not requested because its host is, or resolves to, an address
/// the policy refuses.
struct LinkRefusal: Error, Sendable, Equatable, CustomStringConvertible {
    /// The host as written in the URL (brackets removed).
    var host: String
    var address: IPAddress
    var addressClass: IPAddressClass

    /// "refused: localhost resolves to 127.0.0.1, a loopback address; --links-allow-private allows it".
    var description: String {
        let what: String
        if IPAddress(literal: self.host) == nil {
            what = "\(self.host) resolves to \(self.address), \(self.addressClass)"
        } else if self.host == self.address.description {
            what = "\(self.host) is \(self.addressClass)"
        } else {
            what = "\(self.host) is \(self.address), \(self.addressClass)"
        }
        return "refused: \(what); --links-allow-private allows it"
    }
}
