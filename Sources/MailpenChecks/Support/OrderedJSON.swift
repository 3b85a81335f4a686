import MailpenMIME

/// A JSON value whose objects keep their member order.
///
/// caniemail.com lists each client's tested versions in the order they were tested,
/// and that order — not a sort of the labels (`2016` < `16.80`?) — says which is latest.
/// Foundation's decoders lose it, so the data is read with this small parser.
indirect enum OrderedJSON: Sendable {
    case object([(key: String, value: OrderedJSON)])
    case array([OrderedJSON])
    case string(String)
    case number(Double)
    case bool(Bool)
    case null

    /// Why a document could not be read.
    struct SyntaxError: Error, CustomStringConvertible {
        var offset: Int
        var reason: String
        var description: String { "invalid JSON at byte \(self.offset): \(self.reason)" }
    }

    /// Parses a whole document.
    static func parse(_ bytes: [UInt8]) throws(SyntaxError) -> OrderedJSON {
        var parser = Parser(bytes: bytes)
        let value = try parser.value(depth: 0)
        parser.skipSpace()
        guard parser.index == bytes.count else {
            throw SyntaxError(offset: parser.index, reason: "trailing data")
        }
        return value
    }

    subscript(key: String) -> OrderedJSON? {
        guard case .object(let members) = self else {
            return nil
        }
        return members.first { $0.key == key }?.value
    }

    var stringValue: String? {
        if case .string(let value) = self {
            return value
        }
        return nil
    }

    var members: [(key: String, value: OrderedJSON)] {
        if case .object(let members) = self {
            return members
        }
        return []
    }

    var elements: [OrderedJSON] {
        if case .array(let elements) = self {
            return elements
        }
        return []
    }

    private struct Parser {
        let bytes: [UInt8]
        var index = 0

        init(bytes: [UInt8]) {
            self.bytes = bytes
        }

        mutating func skipSpace() {
            while self.index < self.bytes.count {
                switch self.bytes[self.index] {
                case ASCII.space, ASCII.tab, ASCII.lf, ASCII.cr:
                    self.index += 1
                default:
                    return
                }
            }
        }

        mutating func value(depth: Int) throws(SyntaxError) -> OrderedJSON {
            guard depth < 64 else {
                throw SyntaxError(offset: self.index, reason: "nesting too deep")
            }
            self.skipSpace()
            guard self.index < self.bytes.count else {
                throw SyntaxError(offset: self.index, reason: "unexpected end")
            }
            switch self.bytes[self.index] {
            case ASCII.openBrace:
                return try self.object(depth: depth)
            case ASCII.openBracket:
                return try self.array(depth: depth)
            case ASCII.quote:
                return .string(try self.string())
            case 0x74:  // t
                try self.literal("true")
                return .bool(true)
            case 0x66:  // f
                try self.literal("false")
                return .bool(false)
            case 0x6E:  // n
                try self.literal("null")
                return .null
            default:
                return .number(try self.number())
            }
        }

        mutating func object(depth: Int) throws(SyntaxError) -> OrderedJSON {
            self.index += 1
            var members: [(key: String, value: OrderedJSON)] = []
            self.skipSpace()
            if self.index < self.bytes.count && self.bytes[self.index] == ASCII.closeBrace {
                self.index += 1
                return .object(members)
            }
            while true {
                self.skipSpace()
                guard self.index < self.bytes.count, self.bytes[self.index] == ASCII.quote else {
                    throw SyntaxError(offset: self.index, reason: "expected a member name")
                }
                let key = try self.string()
                self.skipSpace()
                guard self.index < self.bytes.count, self.bytes[self.index] == ASCII.colon else {
                    throw SyntaxError(offset: self.index, reason: "expected ':'")
                }
                self.index += 1
                members.append((key, try self.value(depth: depth + 1)))
                self.skipSpace()
                guard self.index < self.bytes.count else {
                    throw SyntaxError(offset: self.index, reason: "unterminated object")
                }
                if self.bytes[self.index] == ASCII.comma {
                    self.index += 1
                } else if self.bytes[self.index] == ASCII.closeBrace {
                    self.index += 1
                    return .object(members)
                } else {
                    throw SyntaxError(offset: self.index, reason: "expected ',' or '}'")
                }
            }
        }

        mutating func array(depth: Int) throws(SyntaxError) -> OrderedJSON {
            self.index += 1
            var elements: [OrderedJSON] = []
            self.skipSpace()
            if self.index < self.bytes.count && self.bytes[self.index] == ASCII.closeBracket {
                self.index += 1
                return .array(elements)
            }
            while true {
                elements.append(try self.value(depth: depth + 1))
                self.skipSpace()
                guard self.index < self.bytes.count else {
                    throw SyntaxError(offset: self.index, reason: "unterminated array")
                }
                if self.bytes[self.index] == ASCII.comma {
                    self.index += 1
                } else if self.bytes[self.index] == ASCII.closeBracket {
                    self.index += 1
                    return .array(elements)
                } else {
                    throw SyntaxError(offset: self.index, reason: "expected ',' or ']'")
                }
            }
        }

        mutating func literal(_ word: StaticString) throws(SyntaxError) {
            guard Bytes.hasPrefix(self.bytes, at: self.index, lowercase: word) else {
                throw SyntaxError(offset: self.index, reason: "unexpected character")
            }
            self.index += word.utf8CodeUnitCount
        }

        mutating func number() throws(SyntaxError) -> Double {
            let start = self.index
            while self.index < self.bytes.count {
                let byte = self.bytes[self.index]
                if ASCII.isDigit(byte) || byte == ASCII.minus || byte == ASCII.plus || byte == ASCII.dot
                    || byte == 0x65 || byte == 0x45
                {
                    self.index += 1
                } else {
                    break
                }
            }
            guard self.index > start,
                let value = Double(String(decoding: self.bytes[start..<self.index], as: UTF8.self))
            else {
                throw SyntaxError(offset: start, reason: "invalid number")
            }
            return value
        }

        mutating func string() throws(SyntaxError) -> String {
            self.index += 1
            var out: [UInt8] = []
            while self.index < self.bytes.count {
                let byte = self.bytes[self.index]
                self.index += 1
                if byte == ASCII.quote {
                    return String(decoding: out, as: UTF8.self)
                }
                guard byte == ASCII.backslash else {
                    out.append(byte)
                    continue
                }
                guard self.index < self.bytes.count else {
                    break
                }
                let escape = self.bytes[self.index]
                self.index += 1
                switch escape {
                case 0x6E: out.append(ASCII.lf)  // n
                case 0x74: out.append(ASCII.tab)  // t
                case 0x72: out.append(ASCII.cr)  // r
                case 0x62: out.append(0x08)  // b
                case 0x66: out.append(ASCII.formFeed)  // f
                case 0x75:  // u
                    var scalar = try self.hex4()
                    if (0xD800..<0xDC00).contains(scalar), Bytes.hasPrefix(self.bytes, at: self.index, lowercase: "\\u")
                    {
                        self.index += 2
                        let low = try self.hex4()
                        scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low &- 0xDC00)
                    }
                    let character = Unicode.Scalar(scalar).map(Character.init) ?? "\u{FFFD}"
                    out.append(contentsOf: String(character).utf8)
                default: out.append(escape)  // " \ /
                }
            }
            throw SyntaxError(offset: self.index, reason: "unterminated string")
        }

        mutating func hex4() throws(SyntaxError) -> UInt32 {
            guard self.index + 4 <= self.bytes.count,
                let value = UInt32(String(decoding: self.bytes[self.index..<self.index + 4], as: UTF8.self), radix: 16)
            else {
                throw SyntaxError(offset: self.index, reason: "invalid \\u escape")
            }
            self.index += 4
            return value
        }
    }
}
