import Mailpen
import MailpenSMTP
import MailpenSMTPCore
import MailpenStore
import NIOConcurrencyHelpers
import NIOCore

#if canImport(Glibc)
    import Glibc
#endif

/// Answers each message's 250 once it is appended to a log file and the file is flushed to disk (one
/// `fdatasync` for every message that arrived meanwhile, on a thread of its own), then loads the messages
/// into the store as ``DeferredStoring`` does: what a log-first design would cost, durability included.
/// A sketch for measuring, not a store: nothing reads the log back. The log is written over 128 MB of
/// zeros written at start, so that a flush does not also have to flush a new size of the file.
final class LoggedStoring: SMTPDeliveryHandler, Sendable {
    private struct Entry: Sendable {
        var record: [UInt8]
        var message: IncomingMessage
        var promise: EventLoopPromise<SMTPDeliveryResult>
    }

    private let loop: any EventLoop
    private let descriptor: Int32
    private let loader: DeferredStoring
    /// Where the next flush writes; only the log's thread reads or moves it.
    private let offset = NIOLockedValueBox<Int>(0)
    private let queued = NIOLockedValueBox<(entries: [Entry], isFlushScheduled: Bool)>(([], false))

    init(logPath: String, loader: DeferredStoring, loop: any EventLoop) throws {
        let file = open(logPath, O_WRONLY | O_CREAT | O_CLOEXEC, 0o600)
        guard file >= 0 else { throw IOError(errnoCode: errno, reason: "open") }
        let zeros = [UInt8](repeating: 0, count: 1 << 20)
        for _ in 0..<128 { _ = zeros.withUnsafeBytes { write(file, $0.baseAddress, $0.count) } }
        fsync(file)
        descriptor = file
        self.loader = loader
        self.loop = loop
    }

    func deliver(_ transaction: SMTPTransaction, on eventLoop: any EventLoop) -> EventLoopFuture<SMTPDeliveryResult> {
        let message = IncomingMessage(defaultInboxOf: transaction)
        let recipients = transaction.envelope.recipients.map(\.address).joined(separator: ",")
        let head = "\(transaction.envelope.mailFrom)\n\(recipients)\n"
        var record = Array(head.utf8)
        record += Array("\(transaction.message.count)\n".utf8)
        record += transaction.message
        let promise = eventLoop.makePromise(of: SMTPDeliveryResult.self)
        let schedules = queued.withLockedValue { queued in
            queued.entries.append(Entry(record: record, message: message, promise: promise))
            defer { queued.isFlushScheduled = true }
            return !queued.isFlushScheduled
        }
        if schedules { loop.execute { self.flush(answeringOn: eventLoop) } }
        return promise.futureResult
    }

    /// Writes and flushes everything queued; what arrives meanwhile waits for the next flush.
    private func flush(answeringOn eventLoop: any EventLoop) {
        let entries = queued.withLockedValue { queued in
            defer { queued = ([], false) }
            return queued.entries
        }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(entries.reduce(0) { $0 + $1.record.count })
        for entry in entries { bytes += entry.record }
        let start = offset.withLockedValue { $0 }
        var written = 0
        let failed = bytes.withUnsafeBytes { buffer -> Bool in
            guard let base = buffer.baseAddress else { return fdatasync(descriptor) != 0 }
            while written < buffer.count {
                let count = pwrite(descriptor, base + written, buffer.count - written, off_t(start + written))
                if count < 0 {
                    if errno == EINTR { continue }
                    return true
                }
                written += count
            }
            return fdatasync(descriptor) != 0
        }
        offset.withLockedValue { $0 = start + written }
        for entry in entries {
            if failed {
                entry.promise.fail(IOError(errnoCode: errno, reason: "log"))
            } else {
                // Queued for the store before the 250, so that a stop right after it still stores it.
                loader.enqueue(entry.message, on: eventLoop)
                entry.promise.succeed(.accepted(id: "logged"))
            }
        }
    }
}
