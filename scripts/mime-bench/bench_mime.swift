import Foundation
import MailpenMIME

// Parse benchmark entry point for MailpenMIME, the SwiftPM product `mime-bench`
// (`swift build -c release --product mime-bench`; `make bench-mime` builds and runs it).
// Driven by scripts/bench_mime.py, which compares it with Python's email package.
// Prints one JSON object on stdout.
#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

@main
struct MIMEBench {
    static func now() -> Double {
        var time = timespec()
        clock_gettime(CLOCK_MONOTONIC, &time)
        return Double(time.tv_sec) + Double(time.tv_nsec) / 1e9
    }

    #if canImport(Glibc)
        static let rusageSelf = __rusage_who_t(RUSAGE_SELF.rawValue)
    #else
        static let rusageSelf = RUSAGE_SELF
    #endif

    /// Peak resident set (VmHWM from /proc/self/status; ru_maxrss would include the
    /// parent's peak, which Linux carries across exec).
    static func peakRSSKiB() -> Int {
        if let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) {
            for line in status.split(separator: "\n") where line.hasPrefix("VmHWM:") {
                let digits = line.filter(\.isNumber)
                if let value = Int(digits) {
                    return value
                }
            }
        }
        var usage = rusage()
        getrusage(rusageSelf, &usage)
        return Int(usage.ru_maxrss)
    }

    /// Reads a file straight into an array (no intermediate Data copy, so peak RSS
    /// reflects the input once).
    static func load(_ path: String) -> [UInt8] {
        guard let file = fopen(path, "rb") else {
            FileHandle.standardError.write(Data("cannot read \(path)\n".utf8))
            exit(2)
        }
        defer { fclose(file) }
        fseek(file, 0, SEEK_END)
        let size = ftell(file)
        fseek(file, 0, SEEK_SET)
        return [UInt8](unsafeUninitializedCapacity: max(0, size)) { buffer, count in
            count = buffer.baseAddress.map { fread($0, 1, max(0, size), file) } ?? 0
        }
    }

    /// What the store does with every message on ingest.
    @inline(never)
    static func summarize(_ message: MIMEMessage) -> Int {
        var checksum = 0
        checksum &+= message.subject?.utf8.count ?? 0
        checksum &+= message.allAddresses.count
        checksum &+= message.date == nil ? 0 : 1
        checksum &+= message.messageID?.utf8.count ?? 0
        checksum &+= message.attachments.count
        checksum &+= message.snippet.utf8.count
        checksum &+= message.searchableText.utf8.count
        return checksum
    }

    /// Runs `body` over `inputs` repeatedly for at least `seconds`; returns (rounds, seconds).
    static func measure(
        _ inputs: [[UInt8]],
        seconds: Double,
        rounds fixedRounds: Int?,
        _ body: ([UInt8]) -> Int
    ) -> (Int, Double, Int) {
        var checksum = 0
        var rounds = 0
        let start = now()
        var elapsed = 0.0
        repeat {
            for input in inputs {
                checksum &+= body(input)
            }
            rounds += 1
            elapsed = now() - start
        } while fixedRounds.map { rounds < $0 } ?? (elapsed < seconds)
        return (rounds, elapsed, checksum)
    }

    static func main() {
        var arguments = Array(CommandLine.arguments.dropFirst())
        var mode = "corpus"
        var seconds = 2.0
        var fixedRounds: Int? = nil
        var paths: [String] = []
        while !arguments.isEmpty {
            let argument = arguments.removeFirst()
            switch argument {
            case "--mode": mode = arguments.isEmpty ? mode : arguments.removeFirst()
            case "--seconds": seconds = Double(arguments.isEmpty ? "" : arguments.removeFirst()) ?? seconds
            case "--rounds": fixedRounds = Int(arguments.isEmpty ? "" : arguments.removeFirst())
            default: paths.append(argument)
            }
        }
        let inputs = paths.map(load)
        let bytes = inputs.reduce(0) { $0 + $1.count }
        let baseline = peakRSSKiB()
        var result: [String: Any] = ["mode": mode, "files": inputs.count, "bytes": bytes]
        switch mode {
        case "parse":
            let (rounds, elapsed, checksum) = measure(inputs, seconds: seconds, rounds: fixedRounds) {
                MIMEMessage($0).root.children.count
            }
            result["rounds"] = rounds
            result["seconds"] = elapsed
            result["MBps"] = Double(bytes * rounds) / elapsed / 1e6
            result["usPerMessage"] = elapsed / Double(rounds * inputs.count) * 1e6
            result["checksum"] = checksum
        case "summary":
            let (rounds, elapsed, checksum) = measure(inputs, seconds: seconds, rounds: fixedRounds) {
                summarize(MIMEMessage($0))
            }
            result["rounds"] = rounds
            result["seconds"] = elapsed
            result["MBps"] = Double(bytes * rounds) / elapsed / 1e6
            result["usPerMessage"] = elapsed / Double(rounds * inputs.count) * 1e6
            result["checksum"] = checksum
        case "large":
            // One parse and one full decode of every attachment, timed separately.
            let start = now()
            let message = MIMEMessage(inputs[0])
            let parsed = now()
            result["peakRSSAfterParseKiB"] = peakRSSKiB()
            var decoded = 0
            for attachment in message.attachments {
                decoded += message.decodedBody(ofPartWithID: attachment.partID)?.count ?? 0
            }
            decoded += summarize(message)
            let done = now()
            result["parseSeconds"] = parsed - start
            result["parseMBps"] = Double(bytes) / (parsed - start) / 1e6
            result["decodeSeconds"] = done - parsed
            result["decodedBytes"] = decoded
            result["attachmentSize"] = message.attachments.first?.size ?? 0
        default:
            FileHandle.standardError.write(Data("unknown mode \(mode)\n".utf8))
            exit(2)
        }
        result["baselineRSSKiB"] = baseline
        result["peakRSSKiB"] = peakRSSKiB()
        let data = (try? JSONSerialization.data(withJSONObject: result, options: [.sortedKeys])) ?? Data()
        print(String(decoding: data, as: UTF8.self))
    }
}
