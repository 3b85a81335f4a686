import Synchronization

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Strict conversions to UTF-8 through the C library's `iconv`.
///
/// Used for the CJK, Cyrillic and Windows code pages that Foundation does not
/// convert on Linux. A descriptor is opened per call, so this is thread-safe.
enum ICONV {
    /// True when iconv can convert from `name` to UTF-8.
    static func isAvailable(_ name: String) -> Bool {
        let descriptor = iconv_open("UTF-8", name)
        if Int(bitPattern: descriptor) == -1 {
            return false
        }
        iconv_close(descriptor)
        return true
    }

    /// Converts `bytes` from `name` to a String; nil when the charset is unavailable
    /// or the data is not valid in it.
    static func decode(_ bytes: UnsafeBufferPointer<UInt8>, from name: String) -> String? {
        guard let descriptor = self.checkOut(name) else {
            return nil
        }
        defer { self.checkIn(descriptor, name: name) }
        guard let inputBase = bytes.baseAddress, !bytes.isEmpty else {
            return ""
        }
        var capacity = bytes.count * 2 + 64
        var output = UnsafeMutablePointer<UInt8>.allocate(capacity: capacity)
        defer { output.deallocate() }
        var written = 0
        var input: UnsafeMutablePointer<CChar>? = UnsafeMutableRawPointer(mutating: inputBase)
            .assumingMemoryBound(to: CChar.self)
        var inputLeft = bytes.count
        var flushing = false
        while true {
            var outputPointer: UnsafeMutablePointer<CChar>? = UnsafeMutableRawPointer(output + written)
                .assumingMemoryBound(to: CChar.self)
            var outputLeft = capacity - written
            let result: Int
            if flushing {
                result = iconv(descriptor, nil, nil, &outputPointer, &outputLeft)
            } else {
                result = iconv(descriptor, &input, &inputLeft, &outputPointer, &outputLeft)
            }
            written = capacity - outputLeft
            if result == -1 {
                guard errno == E2BIG else {
                    return nil
                }
                let grown = UnsafeMutablePointer<UInt8>.allocate(capacity: capacity * 2)
                grown.update(from: output, count: written)
                output.deallocate()
                output = grown
                capacity *= 2
                continue
            }
            if flushing {
                break
            }
            flushing = true
        }
        return String(decoding: UnsafeBufferPointer(start: output, count: written), as: UTF8.self)
    }

    /// Idle descriptors per charset name, as bit patterns (a pointer is not Sendable).
    private static let pool = Mutex<[String: [Int]]>([:])
    private static let maximumIdlePerCharset = 4

    private static func checkOut(_ name: String) -> iconv_t? {
        if let pooled = self.pool.withLock({ $0[name]?.popLast() }) {
            return iconv_t(bitPattern: pooled)
        }
        let descriptor = iconv_open("UTF-8", name)
        if Int(bitPattern: descriptor) == -1 {
            return nil
        }
        return descriptor
    }

    private static func checkIn(_ descriptor: iconv_t, name: String) {
        // Return to the initial shift state so the next user starts clean.
        _ = iconv(descriptor, nil, nil, nil, nil)
        let kept = self.pool.withLock { pool -> Bool in
            var idle = pool[name] ?? []
            guard idle.count < self.maximumIdlePerCharset else {
                return false
            }
            idle.append(Int(bitPattern: descriptor))
            pool[name] = idle
            return true
        }
        if !kept {
            iconv_close(descriptor)
        }
    }
}
