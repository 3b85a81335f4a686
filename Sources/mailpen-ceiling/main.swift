// A benchmark tool, not part of Mailpen: Mailpen's SMTP layer with its storage taken away or made not to
// wait, to show how fast ingest could be if storing cost nothing (`discard`) or if the 250 did not wait
// for the commit (`early-ack`). `make bench` runs it beside `mailpen serve` and smtp-sink, so the rows of
// its table say how much of the time goes to the SMTP layer, to storing, and to waiting for the commit.
// `deferred` acknowledges at once and stores in batches of whatever arrived in 20 ms: this database and
// index with no commit waited for, as a log-first design would load them. `logged` is that design sketched:
// the 250 after an fsynced append to a log, the log's messages then stored as `deferred` stores them.
// `bare` is not Mailpen's code at all but the least SMTP server SwiftNIO can run (``BareSMTPServer``): the
// floor under the stack.
//
//     mailpen-ceiling --mode discard|early-ack|deferred|logged|bare --port PORT [--db PATH]
//
// It runs until SIGTERM or SIGINT; in the modes that store, it then closes the store after the writes queued,
// so that the caller can count what was stored.
import Foundation
import Logging
import Mailpen
import MailpenSMTP
import MailpenSMTPCore
import MailpenStore
import NIOCore
import NIOPosix
import UnixSignals

/// Acknowledges every message and keeps none of it: the SMTP layer alone.
struct DiscardingDelivery: SMTPDeliveryHandler {
    func deliver(_ transaction: SMTPTransaction, on eventLoop: any EventLoop) -> EventLoopFuture<SMTPDeliveryResult> {
        eventLoop.makeSucceededFuture(.accepted(id: "discarded"))
    }
}

/// Hands every message to the store as `mailpen serve` does, but acknowledges it at once instead of after
/// its commit: what ingest would cost if durability were given up.
struct EarlyAcknowledgement: SMTPDeliveryHandler {
    let store: SQLiteStore
    let logger: Logger

    func deliver(_ transaction: SMTPTransaction, on eventLoop: any EventLoop) -> EventLoopFuture<SMTPDeliveryResult> {
        let message = IncomingMessage(defaultInboxOf: transaction)
        let logger = self.logger
        store.store(message, on: eventLoop).whenFailure { logger.error("not stored: \($0)") }
        return eventLoop.makeSucceededFuture(.accepted(id: "unconfirmed"))
    }
}

/// Refuses AUTH: the benchmark sends without it.
struct NoAuthentication: SMTPAuthenticator {
    func authenticate(_ credentials: SMTPCredentials, on eventLoop: any EventLoop) -> EventLoopFuture<Bool> {
        eventLoop.makeSucceededFuture(false)
    }
}

func option(_ name: String) -> String? {
    let arguments = CommandLine.arguments
    guard let index = arguments.firstIndex(of: name), index + 1 < arguments.count else { return nil }
    return arguments[index + 1]
}

let logger = Logger(label: "mailpen.ceiling")
guard let mode = option("--mode"), ["discard", "early-ack", "deferred", "logged", "bare"].contains(mode),
    let port = option("--port").flatMap(Int.init)
else {
    FileHandle.standardError.write(
        Data("usage: mailpen-ceiling --mode discard|early-ack|deferred|logged|bare --port PORT [--db PATH]\n".utf8))
    exit(64)
}
if mode == "bare" {
    let channel = try await BareSMTPServer.start(port: port)
    let signals = await UnixSignalsSequence(trapping: .sigterm, .sigint)
    print("mailpen-ceiling (bare) listening on 127.0.0.1:\(port)")
    for await _ in signals { break }
    try await channel.close()
    exit(0)
}
let store: SQLiteStore?
let delivery: any SMTPDeliveryHandler
var loader: DeferredStoring?
if mode == "early-ack" || mode == "deferred" || mode == "logged" {
    let path = option("--db") ?? "mailpen-ceiling.sqlite"
    let opened = try SQLiteStore(
        configuration: .init(path: path, retention: .init(maximumMessages: 0)), logger: logger)
    store = opened
    if mode == "early-ack" {
        delivery = EarlyAcknowledgement(store: opened, logger: logger)
    } else {
        let deferred = DeferredStoring(store: opened, logger: logger)
        loader = deferred
        delivery =
            mode == "deferred"
            ? deferred
            : try LoggedStoring(
                logPath: path + ".log", loader: deferred,
                loop: MultiThreadedEventLoopGroup(numberOfThreads: 1).next())
    }
} else {
    store = nil
    delivery = DiscardingDelivery()
}
let server = SMTPServer(
    configuration: .init(port: port, maximumConnections: 2000), deliveryHandler: delivery,
    authenticator: NoAuthentication(), logger: logger)
let signals = await UnixSignalsSequence(trapping: .sigterm, .sigint)
try await server.start()
print("mailpen-ceiling (\(mode)) listening on 127.0.0.1:\(port)")
for await _ in signals { break }
await server.shutdown()
loader?.handOver(on: MultiThreadedEventLoopGroup.singleton.next())
try await store?.close()
