import Synchronization

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// The local time as `StreamLogHandler` stamps its lines (`2026-12-06T17:19:46+0000`), formatted once for
/// each second.
enum LogTimeStamp {
    private static let last = Mutex<(second: time_t, text: [UInt8])>((-1, []))

    static func append(to line: inout [UInt8]) {
        let now = time(nil)
        if let text = last.withLock({ $0.second == now ? $0.text : nil }) {
            line.append(contentsOf: text)
            return
        }
        var seconds = now
        var parts = tm()
        var buffer = [CChar](repeating: 0, count: 64)
        guard localtime_r(&seconds, &parts) != nil else {
            line.append(contentsOf: "<unknown>".utf8)
            return
        }
        let count = strftime(&buffer, buffer.count, "%Y-%m-%dT%H:%M:%S%z", &parts)
        let text = buffer[..<count].map { UInt8(bitPattern: $0) }
        last.withLock { $0 = (now, text) }
        line.append(contentsOf: text)
    }
}
