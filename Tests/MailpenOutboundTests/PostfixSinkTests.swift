import Foundation
import NIOCore
import NIOPosix
import Testing

@testable import MailpenOutbound

/// The client against Postfix's `smtp-sink`, an independent SMTP server implementation, when installed.
@Suite(
    "SMTP client against Postfix smtp-sink",
    .enabled(
        if: FileManager.default.isExecutableFile(atPath: PostfixSink.path), "needs /usr/sbin/smtp-sink (Debian postfix)"
    ))
struct PostfixSinkTests {
    @Test func pipelinedDeliveryArrivesIntact() async throws {
        let sink = try await PostfixSink.start()
        var content = Array("Subject: to postfix\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n".utf8)
        content += Array(".leading dot\r\n.\r\n..\r\nGrüße\r\n".utf8)
        let message = OutboundMessage(
            mailFrom: "a@example.com", recipients: ["b@example.com", "c@example.com"], content: content)
        let target = RelayTarget(
            host: "127.0.0.1", port: sink.port, tls: .none, heloName: "relay.test", timeouts: .uniform(.seconds(10)))
        let result = await OutboundSMTPClient().send(message, to: target)
        #expect(result.outcome == .sent, "\(result)")
        #expect(result.recipients.map(\.outcome) == [.sent, .sent])

        let dump: [UInt8]
        do { dump = try await sink.waitForDump() } catch {
            await sink.stop()
            throw error
        }
        await sink.stop()
        // smtp-sink writes its dump with LF line endings, after its own X- and Received headers.
        let text = String(decoding: dump, as: UTF8.self)
        #expect(text.contains("X-Mail-Args: <a@example.com> BODY=8BITMIME\n"), "\(text)")
        #expect(text.contains("X-Rcpt-Args: <b@example.com>\nX-Rcpt-Args: <c@example.com>\n"))
        let body = String(decoding: content, as: UTF8.self).replacingOccurrences(of: "\r\n", with: "\n")
        #expect(text.contains("\n" + body), "the message arrives unstuffed and complete")
    }
}

/// One `smtp-sink` process on a free loopback port, dumping each transaction into a directory.
struct PostfixSink {
    static let path = "/usr/sbin/smtp-sink"

    let port: Int
    let directory: URL
    let process: Process

    /// Starts a sink on a free port; again on another port when something else answers there. Another test
    /// can take the port between the probe and the sink's bind, and the sink then exits, so a sink is ready
    /// only once a connection is greeted with its own name.
    static func start() async throws -> PostfixSink {
        for _ in 0..<5 {
            if let sink = try await startOnce() { return sink }
        }
        throw SinkError.notListening
    }

    private static func startOnce() async throws -> PostfixSink? {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent(
            "mailpen-sink-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let name = "sink-\(UUID().uuidString.prefix(8).lowercased())"
        let process = Process()
        let port: Int
        do {
            // The sink drops privileges before it writes dumps.
            try FileManager.default.setAttributes([.posixPermissions: 0o777], ofItemAtPath: directory.path)
            port = try await freePort()
            process.executableURL = URL(fileURLWithPath: path)
            var arguments = ["-h", name, "-d", directory.path + "/%M."]
            if getuid() == 0 { arguments = ["-u", "nobody"] + arguments }
            process.arguments = arguments + ["127.0.0.1:\(port)", "10"]
            // Not the test run's output: a sink outliving a crashed test process would hold that pipe open,
            // and the runner would wait on it until its timeout.
            process.standardInput = FileHandle.nullDevice
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            try process.run()
        } catch {
            try? FileManager.default.removeItem(at: directory)
            throw error
        }
        let sink = PostfixSink(port: port, directory: directory, process: process)
        for _ in 0..<100 {
            guard process.isRunning else { break }
            if let greeting = await greeting(port: port) {
                if greeting.hasPrefix("220 \(name) ") { return sink }
                break  // Another server has the port.
            }
            try await Task.sleep(for: .milliseconds(50))
        }
        await sink.stop()
        return nil
    }

    /// The first dump file's bytes, once the sink has written it.
    func waitForDump() async throws -> [UInt8] {
        for _ in 0..<100 {
            let files = try FileManager.default.contentsOfDirectory(atPath: directory.path)
            if let file = files.first,
                let data = FileManager.default.contents(atPath: directory.appendingPathComponent(file).path),
                !data.isEmpty
            {
                return Array(data)
            }
            try await Task.sleep(for: .milliseconds(50))
        }
        throw SinkError.noDump
    }

    /// Kills the sink (it ignores SIGTERM) and reaps it on a thread of its own, never one of the shared pool's.
    func stop() async {
        // Not once it has exited and been reaped: its pid may be another process's by then.
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            Thread.detachNewThread {
                process.waitUntilExit()
                continuation.resume()
            }
        }
        try? FileManager.default.removeItem(at: directory)
    }

    /// A port nothing listens on once this returns.
    private static func freePort() async throws -> Int {
        let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .bind(host: "127.0.0.1", port: 0).get()
        let port = channel.localAddress?.port
        try await channel.close()
        guard let port else { throw SinkError.notListening }
        return port
    }

    /// The first line a server on the port sends, or nil when nothing accepts the connection.
    private static func greeting(port: Int) async -> String? {
        await withCheckedContinuation { continuation in
            Thread.detachNewThread { continuation.resume(returning: readGreeting(port: port)) }
        }
    }

    private static func readGreeting(port: Int) -> String? {
        let socket = Glibc.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard socket >= 0 else { return nil }
        defer { close(socket) }
        var timeout = timeval(tv_sec: 2, tv_usec: 0)
        setsockopt(socket, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(socket, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard connected == 0 else { return nil }
        var buffer = [UInt8](repeating: 0, count: 512)
        let count = recv(socket, &buffer, buffer.count, 0)
        // A server that accepts and closes, or says nothing, is not the sink either.
        return String(decoding: buffer.prefix(max(count, 0)), as: UTF8.self)
    }

    enum SinkError: Error {
        case notListening
        case noDump
    }
}
