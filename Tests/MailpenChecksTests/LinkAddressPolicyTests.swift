import Testing

@testable import MailpenChecks

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

@Suite("Link address policy")
struct LinkAddressPolicyTests {
    /// (as written, canonical text, class): every class the policy tells apart, IPv6 forms that
    /// embed an IPv4 address, and the odd IPv4 spellings resolvers accept.
    static let addresses: [(String, String, IPAddressClass)] = [
        ("127.0.0.1", "127.0.0.1", .loopback),
        ("127.255.255.254", "127.255.255.254", .loopback),
        ("::1", "::1", .loopback),
        ("[::1]", "::1", .loopback),
        ("0:0:0:0:0:0:0:1", "::1", .loopback),
        ("0.0.0.0", "0.0.0.0", .unspecified),
        ("0.1.2.3", "0.1.2.3", .unspecified),
        ("::", "::", .unspecified),
        ("169.254.169.254", "169.254.169.254", .linkLocal),
        ("fe80::1", "fe80::1", .linkLocal),
        ("febf:ffff::1", "febf:ffff::1", .linkLocal),
        ("fe80::1%eth0", "fe80::1", .linkLocal),
        ("10.0.0.1", "10.0.0.1", .privateUse),
        ("10.255.255.255", "10.255.255.255", .privateUse),
        ("172.16.0.1", "172.16.0.1", .privateUse),
        ("172.31.255.255", "172.31.255.255", .privateUse),
        ("192.168.1.1", "192.168.1.1", .privateUse),
        ("fec0::1", "fec0::1", .privateUse),
        ("64:ff9b:1::1", "64:ff9b:1::1", .privateUse),
        ("100.64.0.1", "100.64.0.1", .sharedAddressSpace),
        ("100.127.255.255", "100.127.255.255", .sharedAddressSpace),
        ("fc00::1", "fc00::1", .uniqueLocal),
        ("fd12:3456:789a::1", "fd12:3456:789a::1", .uniqueLocal),
        ("224.0.0.1", "224.0.0.1", .multicast),
        ("239.255.255.250", "239.255.255.250", .multicast),
        ("ff02::1", "ff02::1", .multicast),
        ("240.0.0.1", "240.0.0.1", .reserved),
        ("255.255.255.255", "255.255.255.255", .reserved),
        // IPv4-mapped, IPv4-compatible, NAT64 and 6to4 forms reach the IPv4 address inside.
        ("::ffff:127.0.0.1", "::ffff:127.0.0.1", .loopback),
        ("[::ffff:127.0.0.1]", "::ffff:127.0.0.1", .loopback),
        ("::ffff:7f00:1", "::ffff:127.0.0.1", .loopback),
        ("0:0:0:0:0:ffff:7f00:0001", "::ffff:127.0.0.1", .loopback),
        ("::ffff:0.0.0.0", "::ffff:0.0.0.0", .unspecified),
        ("::ffff:10.1.2.3", "::ffff:10.1.2.3", .privateUse),
        ("::ffff:169.254.169.254", "::ffff:169.254.169.254", .linkLocal),
        ("::ffff:100.64.0.1", "::ffff:100.64.0.1", .sharedAddressSpace),
        ("::ffff:8.8.8.8", "::ffff:8.8.8.8", .global),
        ("::127.0.0.1", "::7f00:1", .loopback),
        ("::192.168.0.1", "::c0a8:1", .privateUse),
        ("64:ff9b::127.0.0.1", "64:ff9b::7f00:1", .loopback),
        ("64:ff9b::a00:1", "64:ff9b::a00:1", .privateUse),
        ("64:ff9b::8.8.8.8", "64:ff9b::808:808", .global),
        ("2002:7f00:1::", "2002:7f00:1::", .loopback),
        ("2002:c0a8:101::1", "2002:c0a8:101::1", .privateUse),
        ("2002:808:808::1", "2002:808:808::1", .global),
        // inet_aton spellings: one to four parts, octal and hex, a trailing dot.
        ("2130706433", "127.0.0.1", .loopback),
        ("0x7f.1", "127.0.0.1", .loopback),
        ("0X7F.0.0.1", "127.0.0.1", .loopback),
        ("127.1", "127.0.0.1", .loopback),
        ("127.0.1", "127.0.0.1", .loopback),
        ("0177.0.0.1", "127.0.0.1", .loopback),
        ("017700000001", "127.0.0.1", .loopback),
        ("0x7f000001", "127.0.0.1", .loopback),
        ("127.0.0.1.", "127.0.0.1", .loopback),
        ("0", "0.0.0.0", .unspecified),
        ("3232235777", "192.168.1.1", .privateUse),
        ("10.1", "10.0.0.1", .privateUse),
        ("0xa9.0xfe.0xa9.0xfe", "169.254.169.254", .linkLocal),
        ("0xa9fea9fe", "169.254.169.254", .linkLocal),
        // Public.
        ("93.184.216.34", "93.184.216.34", .global),
        ("172.32.0.1", "172.32.0.1", .global),
        ("172.15.255.255", "172.15.255.255", .global),
        ("100.128.0.1", "100.128.0.1", .global),
        ("100.63.255.255", "100.63.255.255", .global),
        ("1.1.1.1", "1.1.1.1", .global),
        ("2606:4700:4700::1111", "2606:4700:4700::1111", .global),
        ("2001:DB8:0:0:1:0:0:1", "2001:db8::1:0:0:1", .global),
        ("2001:db8:0:1:1:1:1:1", "2001:db8:0:1:1:1:1:1", .global),
        ("1:0:0:2:0:0:0:3", "1:0:0:2::3", .global),
    ]

    @Test(arguments: Self.addresses)
    func classifiesAddresses(_ text: String, _ canonical: String, _ expected: IPAddressClass) throws {
        let address = try #require(IPAddress(literal: text))
        #expect(address.description == canonical)
        #expect(address.addressClass == expected)
        // The canonical text reads back as the same address.
        #expect(IPAddress(literal: canonical) == address)
    }

    @Test(arguments: [
        "example.com", "localhost", "127.0.0.1.example.com", "1.2.3.4.5", "256.1.1.1", "1.2.3.256", "1.2.65536",
        "1.16777216", "4294967296", "0x", "08", "0x7g", "", ".", "..1", "+1", "１２７.0.0.1", "1.2.3.4:80", "::1::",
        "1:2:3:4:5:6:7:8:9", "1:2:3:4:5:6:7::8", "12345::", "::g", ":::", "::ffff:1.2.3", "::ffff:1.2.3.256",
    ])
    func rejectsWhatIsNotAnAddress(_ text: String) {
        #expect(IPAddress(literal: text) == nil)
    }

    /// The parser reads the odd spellings as the C library does (the real `inet_aton`/`inet_pton`).
    @Test(arguments: Self.addresses.map(\.0).filter { !$0.hasSuffix(".") && !$0.contains("%") && !$0.hasPrefix("[") })
    func agreesWithTheCLibrary(_ text: String) throws {
        let address = try #require(IPAddress(literal: text))
        switch address.value {
        case .v4(let value):
            var parsed = in_addr()
            #expect(inet_aton(text, &parsed) == 1)
            #expect(UInt32(bigEndian: parsed.s_addr) == value)
        case .v6(let value):
            var parsed = in6_addr()
            #expect(inet_pton(AF_INET6, text, &parsed) == 1)
            let bytes = withUnsafeBytes(of: parsed) { Array($0) }
            #expect(bytes.reduce(UInt128(0)) { $0 << 8 | UInt128($1) } == value)
        }
    }

    @Test func refusesEveryNonPublicClassByDefault() throws {
        let policy = LinkAddressPolicy()
        for (text, _, addressClass) in Self.addresses {
            let address = try #require(IPAddress(literal: text))
            let expected: IPAddressClass? = addressClass == .global ? nil : addressClass
            #expect(policy.refusedClass(of: address, port: 80) == expected, "\(text)")
        }
    }

    @Test func allowingPrivateAddressesAllowsEveryAddress() throws {
        let policy = LinkAddressPolicy(allowsPrivateAddresses: true)
        for (text, _, _) in Self.addresses {
            let address = try #require(IPAddress(literal: text))
            #expect(policy.refusedClass(of: address, port: 80) == nil, "\(text)")
        }
    }

    @Test func anAllowedEndpointAllowsThatAddressAndPortOnly() throws {
        let loopback = try #require(IPAddress(literal: "127.0.0.1"))
        let policy = LinkAddressPolicy(allowedEndpoints: [LinkEndpoint(address: loopback, port: 8025)])
        #expect(policy.refusedClass(of: loopback, port: 8025) == nil)
        #expect(policy.refusedClass(of: loopback, port: 8026) == .loopback)
        #expect(policy.refusedClass(of: try #require(IPAddress(literal: "127.0.0.2")), port: 8025) == .loopback)
        #expect(policy.refusedClass(of: try #require(IPAddress(literal: "::1")), port: 8025) == .loopback)
    }

    @Test func refusalsNameTheHostTheAddressAndTheOption() throws {
        let loopback = try #require(IPAddress(literal: "127.0.0.1"))
        let refusal = { (host: String) in
            LinkRefusal(host: host, address: loopback, addressClass: .loopback).description
        }
        #expect(refusal("127.0.0.1") == "refused: 127.0.0.1 is a loopback address; --links-allow-private allows it")
        #expect(
            refusal("0x7f.1") == "refused: 0x7f.1 is 127.0.0.1, a loopback address; --links-allow-private allows it"
        )
        #expect(
            refusal("localhost")
                == "refused: localhost resolves to 127.0.0.1, a loopback address; --links-allow-private allows it"
        )
    }
}
