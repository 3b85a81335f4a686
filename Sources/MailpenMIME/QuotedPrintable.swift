#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Quoted-printable decoding (RFC 2045 §6.7) for bodies.
///
/// Follows CPython's `binascii.a2b_qp` (what Python's `email` uses) with two
/// RFC-recommended robustness rules where Python is stricter: `==` and other broken
/// escapes are kept as written, and a `=` followed only by white space before the
/// line break is still a soft line break. Hex digits may be lower case.
enum QuotedPrintable {
    /// Decodes `input`.
    static func decode(_ input: UnsafeBufferPointer<UInt8>) -> [UInt8] {
        var out = [UInt8]()
        out.reserveCapacity(input.count)
        scan(input) { out.append($0) }
        return out
    }

    static func decode(_ input: [UInt8]) -> [UInt8] {
        input.withUnsafeBufferPointer { decode($0) }
    }

    /// The exact number of bytes `decode` would produce. Only the bytes around each
    /// "=" are examined (found with memchr); everything else counts one for one.
    static func decodedCount(_ input: UnsafeBufferPointer<UInt8>) -> Int {
        guard let base = input.baseAddress else {
            return 0
        }
        let count = input.count
        var total = 0
        var index = 0
        while index < count {
            guard let found = memchr(base + index, Int32(ASCII.equals), count - index) else {
                total += count - index
                break
            }
            let position = base.distance(to: found.assumingMemoryBound(to: UInt8.self))
            total += position - index
            let (escapeEnd, produced) = Self.escape(input, at: position)
            total += produced
            index = escapeEnd
        }
        return total
    }

    /// How `scan` reads the "=" at `position`: where reading resumes and how many
    /// bytes it produces (0 for a soft break, 1 for an escape or a kept "=").
    private static func escape(_ input: UnsafeBufferPointer<UInt8>, at position: Int) -> (end: Int, produced: Int) {
        let count = input.count
        let index = position + 1
        guard index < count else {
            return (count, 0)
        }
        let next = input[index]
        if next == ASCII.lf || next == ASCII.cr || ASCII.isWSP(next) {
            // Soft break (possibly after transport padding): through the LF, if any
            // white space run ends in a line break; otherwise just the "=".
            var probe = index
            while probe < count && ASCII.isWSP(input[probe]) {
                probe += 1
            }
            if probe >= count {
                return (count, 0)
            }
            if input[probe] == ASCII.lf || input[probe] == ASCII.cr {
                while probe < count && input[probe] != ASCII.lf {
                    probe += 1
                }
                return (min(probe + 1, count), 0)
            }
            return (index, 1)
        }
        if index + 1 < count, ASCII.hexValue(next) != nil, ASCII.hexValue(input[index + 1]) != nil {
            return (index + 2, 1)
        }
        return (index, 1)
    }

    @inline(__always)
    private static func scan(_ input: UnsafeBufferPointer<UInt8>, _ emit: (UInt8) -> Void) {
        let count = input.count
        var index = 0
        while index < count {
            let byte = input[index]
            if byte != ASCII.equals {
                emit(byte)
                index += 1
                continue
            }
            index += 1
            if index >= count {
                break  // a lone "=" at the very end is a soft break
            }
            let next = input[index]
            if next == ASCII.lf || next == ASCII.cr {
                // Soft line break: skip to after the LF.
                while index < count && input[index] != ASCII.lf {
                    index += 1
                }
                if index < count {
                    index += 1
                }
                continue
            }
            if index + 1 < count, let high = ASCII.hexValue(next), let low = ASCII.hexValue(input[index + 1]) {
                emit(high << 4 | low)
                index += 2
                continue
            }
            if ASCII.isWSP(next) {
                // "=" + transport padding + line break is still a soft break.
                var probe = index
                while probe < count && ASCII.isWSP(input[probe]) {
                    probe += 1
                }
                if probe >= count {
                    index = count
                    continue
                }
                if input[probe] == ASCII.lf || input[probe] == ASCII.cr {
                    index = probe
                    while index < count && input[index] != ASCII.lf {
                        index += 1
                    }
                    if index < count {
                        index += 1
                    }
                    continue
                }
            }
            // A broken escape is kept literally; the next byte is processed normally.
            emit(ASCII.equals)
        }
    }
}
