/// Validates the ESMTP parameters of MAIL and RCPT against the extensions Mailpen advertises
/// (SIZE, BODY, SMTPUTF8, AUTH, DSN's RET/ENVID/NOTIFY/ORCPT).
enum SMTPParameterRules {
    /// Checks MAIL parameters; returns the failure reply, or `nil` when they are acceptable.
    static func validateMail(_ parameters: [SMTPParameter], maximumMessageSize: Int) -> SMTPReply? {
        var seen = Set<String>()
        for parameter in parameters {
            guard seen.insert(parameter.keyword).inserted else {
                return .syntax("duplicate parameter \(parameter.keyword)")
            }
            switch parameter.keyword {
            case "SIZE":
                guard let value = parameter.value, value.count <= 18, value.allSatisfy(\.isASCIIDigit),
                    let size = Int(value)
                else { return .syntax("SIZE=number") }
                if size > maximumMessageSize { return .messageTooBig }
            case "BODY":
                guard let value = parameter.value?.uppercased(), value == "7BIT" || value == "8BITMIME" else {
                    return .syntax("BODY=7BIT or BODY=8BITMIME")
                }
            case "SMTPUTF8":
                guard parameter.value == nil else { return .syntax("SMTPUTF8 takes no value") }
            case "AUTH":
                guard let value = parameter.value, isXText(value) else { return .syntax("AUTH=mailbox") }
            case "RET":
                guard let value = parameter.value?.uppercased(), value == "FULL" || value == "HDRS" else {
                    return .syntax("RET=FULL or RET=HDRS")
                }
            case "ENVID":
                guard let value = parameter.value, value.utf8.count <= 100, isXText(value) else {
                    return .syntax("ENVID=xtext of at most 100 characters")
                }
            default:
                return .unknownParameter(parameter.keyword)
            }
        }
        return nil
    }

    /// Checks RCPT parameters; returns the failure reply, or `nil` when they are acceptable.
    static func validateRecipient(_ parameters: [SMTPParameter]) -> SMTPReply? {
        var seen = Set<String>()
        for parameter in parameters {
            guard seen.insert(parameter.keyword).inserted else {
                return .syntax("duplicate parameter \(parameter.keyword)")
            }
            switch parameter.keyword {
            case "NOTIFY":
                guard let value = parameter.value?.uppercased() else {
                    return .syntax("NOTIFY=NEVER or NOTIFY=SUCCESS,FAILURE,DELAY")
                }
                let conditions = value.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
                let valid =
                    conditions == ["NEVER"]
                    || (!conditions.isEmpty && Set(conditions).count == conditions.count
                        && conditions.allSatisfy { ["SUCCESS", "FAILURE", "DELAY"].contains($0) })
                guard valid else { return .syntax("NOTIFY=NEVER or NOTIFY=SUCCESS,FAILURE,DELAY") }
            case "ORCPT":
                guard let value = parameter.value, let semicolon = value.firstIndex(of: ";"),
                    semicolon != value.startIndex, value.index(after: semicolon) != value.endIndex
                else { return .syntax("ORCPT=addr-type;address") }
            default:
                return .unknownParameter(parameter.keyword)
            }
        }
        return nil
    }

    /// Whether `value` is RFC 3461 xtext (printable ASCII without `+` and `=`, or `+XX` hex escapes).
    /// UTF-8 is tolerated for SMTPUTF8 clients.
    static func isXText(_ value: String) -> Bool {
        var bytes = value.utf8.makeIterator()
        while let byte = bytes.next() {
            switch byte {
            case UInt8(ascii: "+"):
                guard let high = bytes.next(), let low = bytes.next(), high.isHexDigit, low.isHexDigit else {
                    return false
                }
            case UInt8(ascii: "="):
                return false
            case 0x21...0x7E, 0x80...:
                continue
            default:
                return false
            }
        }
        return true
    }
}

extension Character {
    var isASCIIDigit: Bool { isASCII && isNumber }
}

extension UInt8 {
    var isHexDigit: Bool {
        (0x30...0x39).contains(self) || (0x41...0x46).contains(self) || (0x61...0x66).contains(self)
    }
}
