/// An IPv4 or IPv6 address, parsed and classified without the C library.
///
/// Link following decides whether it may connect to an address from what kind of address
/// it is, so the parser accepts every spelling a resolver or browser would: besides dotted
/// quads and RFC 4291 IPv6 text, the `inet_aton` forms `127.1`, `0x7f.1`, `0177.0.0.1` and
/// `2130706433`, and a trailing dot (`127.0.0.1.`) as URL parsers allow.
package struct IPAddress: Hashable, Sendable, CustomStringConvertible {
    enum Value: Hashable, Sendable {
        case v4(UInt32)
        case v6(UInt128)
    }

    let value: Value

    package init(v4: UInt32) {
        self.value = .v4(v4)
    }

    package init(v6: UInt128) {
        self.value = .v6(v6)
    }

    /// `text` as an address (IPv6 with or without brackets, an IPv6 zone is ignored); nil for
    /// anything else, e.g. a host name.
    package init?(literal text: String) {
        var text = Substring(text)
        if text.hasPrefix("["), text.hasSuffix("]") {
            text = text.dropFirst().dropLast()
        }
        if text.contains(":") {
            guard let value = Self.parseIPv6(text) else {
                return nil
            }
            self.value = .v6(value)
        } else {
            guard let value = Self.parseIPv4(text) else {
                return nil
            }
            self.value = .v4(value)
        }
    }

    /// Dotted quad, or RFC 5952 text for IPv6 (`::ffff:127.0.0.1` for IPv4-mapped addresses).
    package var description: String {
        switch self.value {
        case .v4(let value):
            return Self.dottedQuad(value)
        case .v6(let value):
            if value >> 32 == 0xffff {
                return "::ffff:" + Self.dottedQuad(UInt32(truncatingIfNeeded: value))
            }
            return Self.ipv6Text(value)
        }
    }

    /// What kind of address this is; IPv6 forms that embed an IPv4 address (mapped, compatible,
    /// NAT64, 6to4) are the kind of the IPv4 address they reach.
    package var addressClass: IPAddressClass {
        switch self.value {
        case .v4(let value):
            return Self.classify(v4: value)
        case .v6(let value):
            return Self.classify(v6: value)
        }
    }

    private static func classify(v4 address: UInt32) -> IPAddressClass {
        func within(_ prefix: UInt32, _ length: Int) -> Bool {
            address >> (32 - length) == prefix >> (32 - length)
        }
        if within(0x0000_0000, 8) { return .unspecified }  // "this network"; 0.0.0.0 reaches this host
        if within(0x7f00_0000, 8) { return .loopback }
        if within(0x0a00_0000, 8) || within(0xac10_0000, 12) || within(0xc0a8_0000, 16) { return .privateUse }
        if within(0x6440_0000, 10) { return .sharedAddressSpace }
        if within(0xa9fe_0000, 16) { return .linkLocal }
        if within(0xe000_0000, 4) { return .multicast }
        if within(0xf000_0000, 4) { return .reserved }  // includes the broadcast address
        return .global
    }

    private static func classify(v6 address: UInt128) -> IPAddressClass {
        func within(_ prefix: UInt128, _ length: Int) -> Bool {
            address >> (128 - length) == prefix >> (128 - length)
        }
        let low32 = UInt32(truncatingIfNeeded: address)
        if address == 0 { return .unspecified }
        if address == 1 { return .loopback }
        if within(0xffff_0000_0000, 96) { return classify(v4: low32) }  // ::ffff:a.b.c.d, mapped
        if within(0, 96) { return classify(v4: low32) }  // ::a.b.c.d, compatible
        if within(0x0064_ff9b << 96, 96) { return classify(v4: low32) }  // NAT64
        if within(0x0064_ff9b_0001 << 80, 48) { return .privateUse }  // local-use NAT64
        if within(0x2002 << 112, 16) { return classify(v4: UInt32(truncatingIfNeeded: address >> 80)) }  // 6to4
        if within(0xfe80 << 112, 10) { return .linkLocal }
        if within(0xfec0 << 112, 10) { return .privateUse }  // deprecated site-local
        if within(0xfc00 << 112, 7) { return .uniqueLocal }
        if within(0xff00 << 112, 8) { return .multicast }
        return .global
    }

    // MARK: Parsing

    /// One to four numbers (decimal, `0`-prefixed octal, `0x` hex); the last fills the
    /// remaining bytes, as `inet_aton` reads them.
    static func parseIPv4(_ text: Substring) -> UInt32? {
        var parts = text.split(separator: ".", omittingEmptySubsequences: false)
        if parts.count > 1, parts.last?.isEmpty == true {
            parts.removeLast()
        }
        guard (1...4).contains(parts.count) else {
            return nil
        }
        var numbers: [UInt32] = []
        for part in parts {
            guard let number = Self.parseIPv4Number(part) else {
                return nil
            }
            numbers.append(number)
        }
        guard let last = numbers.popLast() else {
            return nil
        }
        var address: UInt32 = 0
        for (position, number) in numbers.enumerated() {
            guard number <= 255 else {
                return nil
            }
            address |= number << (24 - 8 * position)
        }
        let lastBits = 8 * (4 - numbers.count)
        guard lastBits == 32 || last < UInt32(1) << lastBits else {
            return nil
        }
        return address | last
    }

    private static func parseIPv4Number(_ text: Substring) -> UInt32? {
        var digits = text
        var radix: UInt32 = 10
        if digits.hasPrefix("0x") || digits.hasPrefix("0X") {
            digits = digits.dropFirst(2)
            radix = 16
        } else if digits.count > 1, digits.hasPrefix("0") {
            digits = digits.dropFirst()
            radix = 8
        }
        guard !digits.isEmpty else {
            return nil
        }
        var value: UInt32 = 0
        for character in digits {
            guard character.isASCII, let digit = character.hexDigitValue, UInt32(digit) < radix else {
                return nil
            }
            let (shifted, overflow) = value.multipliedReportingOverflow(by: radix)
            let (sum, carry) = shifted.addingReportingOverflow(UInt32(digit))
            guard !overflow, !carry else {
                return nil
            }
            value = sum
        }
        return value
    }

    /// RFC 4291 text: eight groups, one `::`, an optional dotted quad last; a `%zone` is dropped.
    static func parseIPv6(_ text: Substring) -> UInt128? {
        var text = text
        if let percent = text.firstIndex(of: "%") {
            text = text[..<percent]
        }
        var head = text
        var tail: Substring? = nil
        if let gap = text.firstRange(of: "::") {
            head = text[..<gap.lowerBound]
            tail = text[gap.upperBound...]
        }
        guard let headGroups = Self.parseGroups(head, endsAddress: tail == nil) else {
            return nil
        }
        guard let tail else {
            guard headGroups.count == 8 else {
                return nil
            }
            return Self.combine(headGroups)
        }
        guard let tailGroups = Self.parseGroups(tail, endsAddress: true),
            headGroups.count + tailGroups.count <= 7
        else {
            return nil
        }
        let zeros = [UInt16](repeating: 0, count: 8 - headGroups.count - tailGroups.count)
        return Self.combine(headGroups + zeros + tailGroups)
    }

    /// Colon-separated hex groups ("" is none); the last may be a dotted quad when it ends the address.
    private static func parseGroups(_ text: Substring, endsAddress: Bool) -> [UInt16]? {
        guard !text.isEmpty else {
            return []
        }
        let pieces = text.split(separator: ":", omittingEmptySubsequences: false)
        var groups: [UInt16] = []
        for (position, piece) in pieces.enumerated() {
            if endsAddress, position == pieces.count - 1, piece.contains(".") {
                guard let quad = Self.parseDottedQuad(piece) else {
                    return nil
                }
                groups.append(UInt16(truncatingIfNeeded: quad >> 16))
                groups.append(UInt16(truncatingIfNeeded: quad))
                continue
            }
            guard (1...4).contains(piece.count), piece.allSatisfy({ $0.isASCII && $0.isHexDigit }),
                let group = UInt16(piece, radix: 16)
            else {
                return nil
            }
            groups.append(group)
        }
        return groups
    }

    /// Exactly four decimal numbers up to 255, as `inet_pton` wants inside IPv6 text.
    private static func parseDottedQuad(_ text: Substring) -> UInt32? {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 4 else {
            return nil
        }
        var address: UInt32 = 0
        for part in parts {
            guard (1...3).contains(part.count), part.allSatisfy({ $0.isASCII && $0.isWholeNumber }),
                let number = UInt32(part), number <= 255
            else {
                return nil
            }
            address = address << 8 | number
        }
        return address
    }

    private static func combine(_ groups: [UInt16]) -> UInt128 {
        groups.reduce(0) { $0 << 16 | UInt128($1) }
    }

    // MARK: Formatting

    private static func dottedQuad(_ value: UInt32) -> String {
        (0..<4).map { String(value >> (24 - 8 * $0) & 0xff) }.joined(separator: ".")
    }

    /// Lowercase hex groups with the longest run of two or more zero groups (the first of equals) as `::`.
    private static func ipv6Text(_ value: UInt128) -> String {
        let groups = (0..<8).map { UInt16(truncatingIfNeeded: value >> (112 - 16 * $0)) }
        var best: Range<Int>? = nil
        var start: Int? = nil
        for index in 0...8 {
            if index < 8, groups[index] == 0 {
                start = start ?? index
            } else if let runStart = start {
                if index - runStart >= 2, index - runStart > best?.count ?? 0 {
                    best = runStart..<index
                }
                start = nil
            }
        }
        func hex(_ range: Range<Int>) -> String {
            groups[range].map { String($0, radix: 16) }.joined(separator: ":")
        }
        guard let best else {
            return hex(0..<8)
        }
        return hex(0..<best.lowerBound) + "::" + hex(best.upperBound..<8)
    }
}

/// The kinds of address link following tells apart: only `global` ones are on the public
/// internet; the rest reach this machine, its networks, or nothing.
package enum IPAddressClass: Sendable, Equatable, CustomStringConvertible {
    case global
    case loopback
    case unspecified
    case linkLocal
    /// 10/8, 172.16/12, 192.168/16 (and IPv6 site-local, local-use NAT64).
    case privateUse
    /// 100.64/10, carrier-grade NAT.
    case sharedAddressSpace
    /// fc00::/7.
    case uniqueLocal
    case multicast
    /// 240/4, including the broadcast address.
    case reserved

    /// "a loopback address", for "refused: 127.0.0.1 is a loopback address".
    package var description: String {
        switch self {
        case .global: return "a public address"
        case .loopback: return "a loopback address"
        case .unspecified: return "an unspecified address"
        case .linkLocal: return "a link-local address"
        case .privateUse: return "a private address"
        case .sharedAddressSpace: return "a carrier-grade NAT address"
        case .uniqueLocal: return "a unique-local address"
        case .multicast: return "a multicast address"
        case .reserved: return "a reserved address"
        }
    }
}
