import Dispatch
import NIOCore
import NIOPosix
import Synchronization

/// A tiny SMTP server for the tests that play a script, for behaviour Mailpen's own server never shows
/// (greylisting, refusing one recipient, stalling, no 8BITMIME...). Each connection runs `script`; every
/// line the client sends is recorded in ``received``.
final class ScriptedSMTPServer: Sendable {
    let port: Int
    private let serverTask: Task<Void, Never>
    private let transcript: Transcript

    /// What every connection received, line by line (message data as one entry).
    var received: [String] { transcript.lines }

    static func start(_ script: @escaping @Sendable (ScriptedConnection) async throws -> Void) async throws
        -> ScriptedSMTPServer
    {
        let server = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .bind(host: "127.0.0.1", port: 0) { channel in
                channel.eventLoop.makeCompletedFuture {
                    try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel)
                }
            }
        guard let port = server.channel.localAddress?.port else { throw ScriptedServerError.notBound }
        let transcript = Transcript()
        // The scripts run on a thread of their own, not on Swift's shared pool: on two cores, tests busy on
        // both of its threads kept a script from sending its greeting for over ten seconds.
        let task = Task<Void, Never>(executorPreference: ScriptExecutor.shared) {
            _ = try? await server.executeThenClose { connections in
                await withDiscardingTaskGroup { group in
                    do {
                        for try await connection in connections {
                            group.addTask {
                                try? await connection.executeThenClose { input, output in
                                    let scripted = ScriptedConnection(
                                        input: input, output: output, transcript: transcript)
                                    try await script(scripted)
                                }
                            }
                        }
                    } catch {}
                }
            }
        }
        return ScriptedSMTPServer(port: port, serverTask: task, transcript: transcript)
    }

    private init(port: Int, serverTask: Task<Void, Never>, transcript: Transcript) {
        self.port = port
        self.serverTask = serverTask
        self.transcript = transcript
    }

    func stop() async {
        serverTask.cancel()
        await serverTask.value
    }

    enum ScriptedServerError: Error {
        case notBound
        case unexpected(String)
    }
}

/// Runs scripted servers' tasks on a dispatch queue (its own threads), apart from the shared pool.
final class ScriptExecutor: TaskExecutor, @unchecked Sendable {
    static let shared = ScriptExecutor()
    private let queue = DispatchQueue(label: "scripted-smtp-server", attributes: .concurrent)

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        let executor = asUnownedTaskExecutor()
        queue.async { job.runSynchronously(on: executor) }
    }
}

/// Lines received by a scripted server.
final class Transcript: Sendable {
    private let storage = Mutex<[String]>([])
    var lines: [String] { storage.withLock { $0 } }
    func append(_ line: String) { storage.withLock { $0.append(line) } }
}

/// One connection to a ``ScriptedSMTPServer``, read line by line.
final class ScriptedConnection {
    private var input: NIOAsyncChannelInboundStream<ByteBuffer>.AsyncIterator
    private let output: NIOAsyncChannelOutboundWriter<ByteBuffer>
    private let transcript: Transcript
    private var buffer: [UInt8] = []
    /// How many network reads brought the input so far.
    private(set) var readCount = 0

    init(
        input: NIOAsyncChannelInboundStream<ByteBuffer>, output: NIOAsyncChannelOutboundWriter<ByteBuffer>,
        transcript: Transcript
    ) {
        self.input = input.makeAsyncIterator()
        self.output = output
        self.transcript = transcript
    }

    /// Writes `text` and CRLF (`text` may hold several lines separated by CRLF).
    func reply(_ text: String) async throws {
        try await output.write(ByteBuffer(string: text + "\r\n"))
    }

    /// The next line without CRLF, or `nil` at the end of the connection.
    func readLine() async throws -> String? {
        while true {
            if let newline = buffer.firstIndex(of: 0x0A) {
                var line = Array(buffer[..<newline])
                buffer.removeFirst(newline + 1)
                if line.last == 0x0D { line.removeLast() }
                let text = String(decoding: line, as: UTF8.self)
                transcript.append(text)
                return text
            }
            guard try await fill() else { return nil }
        }
    }

    /// Plays a plain server up to the message: greets, accepts EHLO, MAIL and one RCPT, and answers DATA with
    /// `dataReply` (which may carry more lines).
    func acceptUpToData(dataReply: String = "354 Go") async throws {
        try await reply("220 mx.test ESMTP")
        try await expect("EHLO")
        try await reply("250 mx.test")
        try await expect("MAIL")
        try await reply("250 Ok")
        try await expect("RCPT")
        try await reply("250 Ok")
        try await expect("DATA")
        try await reply(dataReply)
    }

    /// Reads a line and fails unless it starts with `prefix`.
    @discardableResult
    func expect(_ prefix: String) async throws -> String {
        guard let line = try await readLine() else {
            throw ScriptedSMTPServer.ScriptedServerError.unexpected("end of input, wanted \(prefix)")
        }
        guard line.uppercased().hasPrefix(prefix.uppercased()) else {
            throw ScriptedSMTPServer.ScriptedServerError.unexpected("\(line), wanted \(prefix)")
        }
        return line
    }

    /// The DATA stream up to and including CRLF.CRLF, as sent (still dot-stuffed).
    func readData() async throws -> [UInt8] {
        let end: [UInt8] = [0x0D, 0x0A, 0x2E, 0x0D, 0x0A]
        while true {
            if buffer.starts(with: end[2...]) {
                buffer.removeFirst(3)
                transcript.append("<data 0 octets>")
                return Array(end[2...])
            }
            if let range = buffer.firstRange(of: end) {
                let data = Array(buffer[..<range.upperBound])
                buffer.removeFirst(range.upperBound)
                transcript.append("<data \(data.count) octets>")
                return data
            }
            guard try await fill() else {
                throw ScriptedSMTPServer.ScriptedServerError.unexpected("end of input in DATA")
            }
        }
    }

    /// Reads the DATA stream like a slow server, pausing for `pause` after every `interval` octets, and returns
    /// how many octets it had (end marker included). The stream is counted, not kept, so that reading stays
    /// cheap: only the end of each read is checked for CRLF.CRLF, as the client sends nothing after it.
    func consumeDataPaced(pausing pause: Duration, every interval: Int) async throws -> Int {
        let end: [UInt8] = [0x0D, 0x0A, 0x2E, 0x0D, 0x0A]
        var tail = buffer.suffix(5)
        var count = buffer.count
        buffer = []
        var sincePause = 0
        while !tail.elementsEqual(end) {
            if sincePause >= interval {
                try await Task.sleep(for: pause)
                sincePause = 0
            }
            guard let chunk = try await input.next() else {
                throw ScriptedSMTPServer.ScriptedServerError.unexpected("end of input in DATA")
            }
            count += chunk.readableBytes
            sincePause += chunk.readableBytes
            tail = (tail + chunk.readableBytesView.suffix(5)).suffix(5)
        }
        transcript.append("<data \(count) octets>")
        return count
    }

    /// Waits until the client closes the connection, reading (and recording) whatever it still sends.
    func drain() async throws {
        while try await readLine() != nil {}
    }

    /// Blocks on nothing for `duration` without reading.
    func stall(for duration: Duration) async {
        try? await Task.sleep(for: duration)
    }

    private func fill() async throws -> Bool {
        guard let chunk = try await input.next() else { return false }
        readCount += 1
        buffer.append(contentsOf: chunk.readableBytesView)
        return true
    }
}
