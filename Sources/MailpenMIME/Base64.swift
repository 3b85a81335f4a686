#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Lenient base64 decoding (RFC 2045 §6.8) for bodies and B-encoded words.
///
/// Mirrors CPython's `binascii.a2b_base64` in non-strict mode, which is what mail
/// readers effectively do: characters outside the alphabet (line breaks, spaces,
/// junk) are skipped, a completed `=` padding ends the data, and a trailing partial
/// group yields the bytes it completes. Decoding is a single linear pass.
enum Base64 {
    static let invalid: UInt8 = 0xFF

    static let table: [UInt8] = {
        var table = [UInt8](repeating: invalid, count: 256)
        for (value, byte) in "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8.enumerated() {
            table[Int(byte)] = UInt8(value)
        }
        return table
    }()

    /// Decodes `input`, ignoring non-alphabet bytes.
    static func decode(_ input: UnsafeBufferPointer<UInt8>) -> [UInt8] {
        let capacity = input.count / 4 * 3 + 3
        return [UInt8](unsafeUninitializedCapacity: capacity) { output, written in
            written = self.table.withUnsafeBufferPointer { table in
                var count = 0
                var quadPosition = 0
                var pads = 0
                var left: UInt8 = 0
                for byte in input {
                    if byte == ASCII.equals {
                        if quadPosition >= 2 {
                            pads += 1
                            if quadPosition + pads >= 4 {
                                break
                            }
                        }
                        continue
                    }
                    let value = table[Int(byte)]
                    if value == invalid {
                        continue
                    }
                    pads = 0
                    switch quadPosition {
                    case 0:
                        quadPosition = 1
                        left = value
                    case 1:
                        quadPosition = 2
                        output[count] = left << 2 | value >> 4
                        count += 1
                        left = value & 0x0F
                    case 2:
                        quadPosition = 3
                        output[count] = left << 4 | value >> 2
                        count += 1
                        left = value & 0x03
                    default:
                        quadPosition = 0
                        output[count] = left << 6 | value
                        count += 1
                    }
                }
                return count
            }
        }
    }

    static func decode(_ input: [UInt8]) -> [UInt8] {
        input.withUnsafeBufferPointer { decode($0) }
    }

    /// 1 for alphabet bytes, 0 otherwise.
    private static let isSymbol: [UInt8] = table.map { $0 == invalid ? 0 : 1 }

    /// The exact number of bytes `decode` would produce, without producing them: counts
    /// alphabet bytes between "=" signs (found with memchr) and applies the padding rule
    /// only at each "=".
    static func decodedCount(_ input: UnsafeBufferPointer<UInt8>) -> Int {
        guard let base = input.baseAddress else {
            return 0
        }
        return self.isSymbol.withUnsafeBufferPointer { isSymbol in
            var symbols = 0
            var pads = 0
            var index = 0
            let count = input.count
            while true {
                let equals: Int
                if let found = memchr(base + index, Int32(ASCII.equals), count - index) {
                    equals = base.distance(to: found.assumingMemoryBound(to: UInt8.self))
                } else {
                    equals = count
                }
                var run = 0
                var cursor = index
                while cursor < equals {
                    run &+= Int(isSymbol[Int(base[cursor])])
                    cursor += 1
                }
                if run > 0 {
                    pads = 0
                }
                symbols += run
                if equals >= count {
                    break
                }
                let quadPosition = symbols & 3
                if quadPosition >= 2 {
                    pads += 1
                    if quadPosition + pads >= 4 {
                        break
                    }
                }
                index = equals + 1
            }
            // Each symbol after the first of a group completes one byte.
            return symbols / 4 * 3 + max(0, symbols % 4 - 1)
        }
    }
}
