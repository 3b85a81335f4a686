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
        defer { sink.stop() }
        var content = Array("Subject: to postfix\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n".utf8)
        content += Array(".leading dot\r\n.\r\n..\r\nGrüße\r\n".utf8)
        let message = OutboundMessage(
            mailFrom: "a@example.com", recipients: ["b@example.com", "c@example.com"], content: content)
        let target = RelayTarget(
            host: "127.0.0.1", port: sink.port, tls: .none, heloName: "relay.test", timeouts: .uniform(.seconds(10)))
        let result = await OutboundSMTPClient().send(message, to: target)
        #expect(result.outcome == .sent, "\(result)")
        #expect(result.recipients.map(\.outcome) == [.sent, .sent])

        let dump = try await sink.waitForDump()
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

    /// Starts a sink on a free port; again on another port when the sink exits at once, as it does when
    /// another test took the port between its probe and the sink's bind (the probe then reached that test's
    /// server).
    static func start() async throws -> PostfixSink {
        for _ in 0..<5 {
            let sink = try await startOnce()
            try await Task.sleep(for: .milliseconds(100))
            if sink.process.isRunning { return sink }
            sink.stop()
        }
        throw SinkError.notListening
    }

    private static func startOnce() async throws -> PostfixSink {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent(
            "mailpen-sink-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        // The sink drops privileges before it writes dumps.
        try FileManager.default.setAttributes([.posixPermissions: 0o777], ofItemAtPath: directory.path)
        let port = try await freePort()
        let process = Process()
        process.executableURL = URL(fileURLWithPath: path)
        var arguments = ["-d", directory.path + "/%M."]
        if getuid() == 0 { arguments = ["-u", "nobody"] + arguments }
        process.arguments = arguments + ["127.0.0.1:\(port)", "10"]
        // Not the test run's output: a sink outliving a crashed test process would hold that pipe open, and
        // the runner would wait on it until its timeout.
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        let sink = PostfixSink(port: port, directory: directory, process: process)
        for _ in 0..<100 {
            if (try? await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton).connect(
                host: "127.0.0.1", port: port
            ).get())
            .map({ $0.close(promise: nil) }) != nil {
                return sink
            }
            try await Task.sleep(for: .milliseconds(50))
        }
        sink.stop()
        throw SinkError.notListening
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

    func stop() {
        // smtp-sink ignores SIGTERM.
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        try? FileManager.default.removeItem(at: directory)
    }

    private static func freePort() async throws -> Int {
        let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .bind(host: "127.0.0.1", port: 0).get()
        defer { channel.close(promise: nil) }
        guard let port = channel.localAddress?.port else { throw SinkError.notListening }
        return port
    }

    enum SinkError: Error {
        case notListening
        case noDump
    }
}
