import Foundation

/// A recipient address as a relay sends it and as its policy judges it: one RFC 5321 mailbox, in the one
/// spelling receiving servers treat it as. `"ceo"@corp.example` and `"c\eo"@corp.example` are the mailbox
/// `ceo@corp.example`, so they are sent and matched as that; otherwise a quoted local part would walk past
/// a `deny` pattern. Anything that is not a single mailbox (`a@x.example,b@y.example`, two `@`, spaces, a
/// quoted local part that only quoting makes valid) is refused rather than guessed at, and so are spellings
/// a receiving server would fold into another mailbox: `%` and `!` routing in the local part, and a domain
/// that Unicode normalisation changes (fullwidth letters, other full stops, invisible characters).
enum RelayRecipient {
    /// The address in its plain form, or `nil` when it is not one mailbox a relay should send to.
    static func canonical(_ address: String) -> String? {
        let scalars = Array(address.unicodeScalars)
        guard !scalars.isEmpty, address.utf8.count <= 320 else { return nil }
        var local = String.UnicodeScalarView()
        var index = 0
        if scalars[0] == "\"" {
            // A quoted string: its content with quoted pairs taken as the characters they stand for.
            index = 1
            var closed = false
            while index < scalars.count {
                let scalar = scalars[index]
                index += 1
                if scalar == "\"" {
                    closed = true
                    break
                }
                if scalar == "\\" {
                    guard index < scalars.count else { return nil }
                    local.append(scalars[index])
                    index += 1
                } else {
                    local.append(scalar)
                }
            }
            guard closed, index < scalars.count, scalars[index] == "@" else { return nil }
        } else {
            while index < scalars.count, scalars[index] != "@" {
                local.append(scalars[index])
                index += 1
            }
            guard index < scalars.count else { return nil }
        }
        let localPart = String(local)
        let domain = String(String.UnicodeScalarView(scalars[(index + 1)...]))
        // The content must be a dot-atom, quoted or not: only then is the plain spelling the same mailbox.
        guard isDotAtom(localPart), isDomain(domain) else { return nil }
        return localPart + "@" + domain
    }

    /// Letters, digits and RFC 5322's other atom characters (and any non-ASCII character, for SMTPUTF8), in
    /// runs separated by single dots.
    private static func isDotAtom(_ text: String) -> Bool {
        guard !text.isEmpty, text.unicodeScalars.count <= 64 else { return false }
        return text.split(separator: ".", omittingEmptySubsequences: false).allSatisfy { atom in
            !atom.isEmpty && atom.unicodeScalars.allSatisfy { isAtomCharacter($0) }
        }
    }

    /// RFC 5322's atom characters but `%` and `!`, which servers may still read as source routes.
    private static func isAtomCharacter(_ scalar: Unicode.Scalar) -> Bool {
        if !scalar.isASCII { return scalar.value >= 0xA0 }
        if scalar.properties.isAlphabetic || ("0"..."9").contains(scalar) { return true }
        return "#$&'*+-/=?^_`{|}~".unicodeScalars.contains(scalar)
    }

    /// Labels of letters, digits and hyphens (or non-ASCII, for internationalised names) separated by single
    /// dots, without a trailing dot; or an address literal in brackets.
    private static func isDomain(_ text: String) -> Bool {
        let scalars = text.unicodeScalars
        guard !scalars.isEmpty, scalars.count <= 255 else { return false }
        if text.hasPrefix("[") {
            guard text.hasSuffix("]"), scalars.count > 2 else { return false }
            return scalars.dropFirst().dropLast().allSatisfy {
                (0x21...0x7E).contains($0.value) && $0 != "[" && $0 != "]" && $0 != "\\"
            }
        }
        if !text.unicodeScalars.allSatisfy(\.isASCII) {
            // What normalisation (as UTS #46 applies it) would change names another domain.
            guard text.precomposedStringWithCompatibilityMapping == text,
                !text.unicodeScalars.contains(where: {
                    $0.properties.isDefaultIgnorableCodePoint || [0x3002, 0xFF0E, 0xFF61].contains($0.value)
                })
            else { return false }
        }
        return text.split(separator: ".", omittingEmptySubsequences: false).allSatisfy { label in
            !label.isEmpty && label.unicodeScalars.count <= 63 && label.first != "-" && label.last != "-"
                && label.unicodeScalars.allSatisfy {
                    $0.isASCII
                        ? ($0.properties.isAlphabetic || ("0"..."9").contains($0) || $0 == "-") : $0.value >= 0xA0
                }
        }
    }
}
