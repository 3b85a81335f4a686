/// Which addresses link following may connect to.
///
/// The links come from captured mail, so anyone who can send Mailpen a message chooses them:
/// by default only public addresses are requested, never this machine (loopback), its LAN or
/// other non-public ranges. The decision is made on the resolved address about to be
/// connected to, for every redirect hop.
package struct LinkAddressPolicy: Sendable, Equatable {
    /// Every address may be requested (for people who check links to their own staging hosts).
    package var allowsPrivateAddresses: Bool
    /// Non-public address and port pairs allowed anyway; lets tests stand a loopback server in
    /// for a public one while every other loopback port stays refused.
    package var allowedEndpoints: Set<LinkEndpoint>

    package init(allowsPrivateAddresses: Bool = false, allowedEndpoints: Set<LinkEndpoint> = []) {
        self.allowsPrivateAddresses = allowsPrivateAddresses
        self.allowedEndpoints = allowedEndpoints
    }

    /// The class that makes `address` off limits, nil when it may be connected to on `port`.
    package func refusedClass(of address: IPAddress, port: Int) -> IPAddressClass? {
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
package struct LinkEndpoint: Hashable, Sendable {
    package var address: IPAddress
    package var port: Int

    package init(address: IPAddress, port: Int) {
        self.address = address
        self.port = port
    }
}

/// A link (or redirect hop) not requested because its host is, or resolves to, an address
/// the policy refuses.
package struct LinkRefusal: Error, Sendable, Equatable, CustomStringConvertible {
    /// The host as written in the URL (brackets removed).
    package var host: String
    package var address: IPAddress
    package var addressClass: IPAddressClass

    package init(host: String, address: IPAddress, addressClass: IPAddressClass) {
        self.host = host
        self.address = address
        self.addressClass = addressClass
    }

    /// "refused: localhost resolves to 127.0.0.1, a loopback address; --links-allow-private allows it".
    package var description: String {
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
