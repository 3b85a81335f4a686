import Foundation
import MailpenIMAPCore
import MailpenMIME
import MailpenSASL

// libFuzzer entry point for the IMAP session: the state machine fed through IMAPSessionInput, as a server
// feeds it, answering its requests from a small inbox. The SwiftPM product `imap-fuzzer` (`make fuzz-imap`),
// built from MailpenIMAPCore and MailpenMIME alone, seeded with fixtures/imap. Any crash, sanitizer
// report, timeout or broken invariant is a bug:
// - the output is well formed: every line is untagged (`* `), a continuation (`+ `) or a tagged status
//   (`tag OK|NO|BAD text`) for a tag the client sent; it ends in CRLF; a line announcing a literal `{n}`
//   is followed by exactly n octets; no bare CR or LF outside literals;
// - a request comes only while the machine reads no input, and one at a time; a store search has queries;
// - EXPUNGE is never sent while answering FETCH, STORE or SEARCH by sequence number;
// - once the machine has closed the session, nothing it is told makes it act again;
// - the outcome does not depend on how the input is cut into reads (up to a STARTTLS, which drops what
//   was pipelined after it).
//
// The first input byte sets the session's options: 0x01 offers STARTTLS, 0x02 the client is on loopback,
// 0x04 accepts credentials, 0x08 storing fails, 0x10 the inbox changes after every command, 0x20 allows
// plaintext logins, 0x40 small batches and cache. The rest is what the client sends.

struct SimulatedIMAPSession {
    private(set) var transcript: [String] = []
    private(set) var droppedInputForTLS = false
    private var machine: IMAPSessionStateMachine
    private var input: IMAPSessionInput
    private var buffer: [UInt8] = []
    private var isClosed = false
    private let options: UInt8
    private var inbox: [(info: IMAPMessageInfo, raw: [UInt8])]
    private var nextUID: UInt32 = 5
    private var changeCount = 0
    /// The keyword of the command being answered, when it is one that may not be followed by EXPUNGE.
    private var commandForbiddingExpunge: String?

    static let messages: [String] = [
        "From: A <a@x.test>\r\nTo: b@x.test\r\nSubject: one\r\nDate: Mon, 2 Jan 2023 10:00:00 +0000\r\n\r\nbody\r\n",
        "Subject: two\nContent-Type: multipart/mixed; boundary=b\n\n--b\nContent-Type: text/plain\n\nhi\n--b\nContent-Type: message/rfc822\n\nSubject: inner\n\ninner body\n--b--\n",
        "Subject: =?utf-8?q?caf=C3=A9?=\r\nContent-Type: text/plain; charset=utf-8; name*0*=utf-8''a%20; name*1=b\r\n\r\ncaf\u{e9}\r\n.\r\n",
    ]

    init(options: UInt8) {
        self.options = options
        let configuration = IMAPSessionStateMachine.Configuration(
            hostname: "fuzz.example", offersStartTLS: options & 1 != 0,
            allowsPlaintextAuthentication: options & 0x20 != 0,
            maximumLineLength: 512, maximumLiteralSize: 1024, maximumCommandSize: 2048, maximumErrors: 8,
            fetchBatchSize: options & 0x40 != 0 ? 1 : 8, cachedMessages: options & 0x40 != 0 ? 1 : 4)
        machine = IMAPSessionStateMachine(configuration: configuration, connection: .init(isLoopback: options & 2 != 0))
        input = IMAPSessionInput(maximumLineLength: 512, maximumCommandSize: 2048)
        inbox = Self.messages.enumerated().map { index, text in
            let raw = Array(text.utf8)
            return (
                IMAPMessageInfo(
                    uid: UInt32(index + 1) * 2, id: "m\(index)", size: IMAPMessageContent.servedSize(of: raw),
                    internalDate: Date(timeIntervalSince1970: 1_700_000_000 + Double(index) * 3600), isRead: index == 0,
                    keywords: index == 1 ? ["$Label1", "not an atom"] : []),
                raw
            )
        }
        perform(machine.connectionOpened())
    }

    static func run(_ bytes: [UInt8], options: UInt8, readSizes: some Sequence<Int>) -> SimulatedIMAPSession {
        var session = SimulatedIMAPSession(options: options)
        var start = 0
        var sizes = readSizes.makeIterator()
        while start < bytes.count, !session.isClosed {
            let end = min(bytes.count, start + max(1, sizes.next() ?? bytes.count))
            session.receive(bytes[start..<end])
            start = end
        }
        if !session.isClosed { session.perform(session.machine.idleTimeoutExpired()) }
        session.expectSilenceAfterClosing(bytes[start...])
        return session
    }

    private mutating func expectSilenceAfterClosing(_ rest: ArraySlice<UInt8>) {
        precondition(isClosed, "the session is still open")
        let late: [IMAPSessionStateMachine.Action] = [
            machine.idleTimeoutExpired(), machine.shutdownRequested(), machine.credentialsChecked(accepted: true),
            machine.credentialsCouldNotBeChecked(),
            machine.mailboxLoaded(nil), machine.messagesLoaded([:]), machine.readFlagsStored(succeeded: true),
            machine.messagesDeleted(succeeded: true), machine.mailboxChanged(.removed(["m0"])),
            machine.receive(command: Array("a NOOP".utf8)), machine.receive(line: Array("DONE".utf8)),
        ]
        for action in late {
            precondition(action == .none, "a closed session acted: \(action)")
        }
        let (consumed, step) = Array(rest).withUnsafeBytes { input.feed($0, to: &machine) }
        guard consumed == 0, case .waitForInput = step else { preconditionFailure("a closed session took input") }
    }

    private var sentTags: Set<String> = []

    private mutating func receive(_ read: ArraySlice<UInt8>) {
        buffer.append(contentsOf: read)
        while !isClosed, !buffer.isEmpty {
            // Note the tag and keyword of a command as it starts, for the output checks.
            if machine.inputMode == .command, input.isAtCommandStart {
                if let tag = IMAPCommandParser.tag(of: buffer) { sentTags.insert(tag) }
                let keyword = Self.keyword(of: buffer)
                commandForbiddingExpunge = ["FETCH", "STORE", "SEARCH"].contains(keyword) ? keyword : nil
            }
            let (consumed, step) = buffer.withUnsafeBytes { input.feed($0, to: &machine) }
            buffer.removeFirst(consumed)
            guard case .act(let action) = step else { break }
            perform(action)
            if options & 0x10 != 0, !isClosed, action != .none, machine.inputMode != .suspended { changeInbox() }
        }
    }

    /// The command keyword after the tag (UID FETCH and the like count as UID).
    static func keyword(of bytes: [UInt8]) -> String {
        let line = bytes.prefix { $0 != 10 && $0 != 13 }
        let words = line.split(separator: 0x20, maxSplits: 2, omittingEmptySubsequences: false)
        guard words.count > 1 else { return "" }
        return String(decoding: words[1], as: UTF8.self).uppercased()
    }

    private mutating func perform(_ action: IMAPSessionStateMachine.Action) {
        if isClosed && action == .none { return }
        precondition(!isClosed, "the machine acted after closing the session: \(action)")
        if let output = action.output { record(output.bytes) }
        guard let request = action.request else { return }
        if request != .close && request != .startTLS {
            precondition(machine.inputMode == .suspended, "a request while the machine reads input: \(request)")
        }
        switch request {
        case .close:
            isClosed = true
            precondition(machine.inputMode == .closed, "closing, but the machine takes input")
        case .startTLS:
            droppedInputForTLS = droppedInputForTLS || !buffer.isEmpty
            buffer.removeAll()
            transcript.append("tls")
            perform(machine.tlsEstablished())
        case .checkCredentials(let credentials):
            transcript.append("auth \(credentials.username)")
            perform(machine.credentialsChecked(accepted: options & 4 != 0))
        case .loadMailbox:
            perform(
                machine.mailboxLoaded(
                    IMAPMailboxSnapshot(uidValidity: 7, uidNext: nextUID, messages: inbox.map(\.info))))
        case .loadMessages(let ids):
            precondition(!ids.isEmpty, "an empty load")
            var loaded: [String: [UInt8]] = [:]
            for entry in inbox where ids.contains(entry.info.id) { loaded[entry.info.id] = entry.raw }
            perform(machine.messagesLoaded(loaded))
        case .searchMailbox(let username, let queries):
            precondition(!queries.isEmpty && !queries.contains(where: \.isEmpty), "an empty store search")
            transcript.append("search \(username) \(queries)")
            // The store's answer, decided by the query's text so that every cut of the input gets the same
            // one; a failing store makes the session evaluate every key itself.
            let answer = queries.map { query in
                inbox.map(\.info.id).filter { ($0.utf8.count + query.utf8.count).isMultiple(of: 2) }
            }
            perform(machine.mailboxSearched(options & 8 == 0 ? answer : nil))
        case .setRead(let ids, let isRead):
            precondition(!ids.isEmpty, "an empty flag update")
            transcript.append("read \(ids) \(isRead)")
            perform(machine.readFlagsStored(succeeded: options & 8 == 0))
        case .deleteMessages(let ids):
            precondition(!ids.isEmpty, "an empty deletion")
            transcript.append("delete \(ids)")
            if options & 8 == 0 { inbox.removeAll { ids.contains($0.info.id) } }
            perform(machine.messagesDeleted(succeeded: options & 8 == 0))
        }
    }

    /// Another client adds, reads or deletes a message.
    private mutating func changeInbox() {
        changeCount += 1
        commandForbiddingExpunge = nil
        switch changeCount % 3 {
        case 0:
            let raw = Array("Subject: new \(changeCount)\r\n\r\nnew\r\n".utf8)
            let info = IMAPMessageInfo(
                uid: nextUID, id: "n\(changeCount)", size: raw.count,
                internalDate: Date(timeIntervalSince1970: 1_700_100_000),
                isRead: false)
            nextUID += 1
            inbox.append((info, raw))
            perform(machine.mailboxChanged(.added([info])))
        case 1:
            if let first = inbox.first {
                inbox[0].info.isRead.toggle()
                perform(machine.mailboxChanged(.readChanged(id: first.info.id, isRead: !first.info.isRead)))
            }
        default:
            if inbox.count > 2 {
                let gone = inbox.removeFirst()
                perform(machine.mailboxChanged(.removed([gone.info.id])))
            }
        }
    }

    /// Checks the framing of output bytes and records them.
    private mutating func record(_ bytes: [UInt8]) {
        var index = 0
        while index < bytes.count {
            // One line, with any literals it announces.
            var line: [UInt8] = []
            while true {
                var end = index
                while end < bytes.count, bytes[end] != 10 { end += 1 }
                let output = String(decoding: bytes, as: UTF8.self).debugDescription
                precondition(end < bytes.count, "output not ending in CRLF: \(output)")
                precondition(end - 1 > index || !line.isEmpty, "an empty line: \(output)")
                precondition(end > 0 && bytes[end - 1] == 13, "a line ending in a bare LF: \(output)")
                let text = Array(bytes[index..<(end - 1)])
                precondition(!text.contains(13), "a bare CR in a line: \(output)")
                line += text
                index = end + 1
                guard let count = IMAPSessionInput.literalAnnouncement(at: text)?.size else { break }
                precondition(index + count <= bytes.count, "a literal shorter than announced")
                index += count
                line += Array("<literal>".utf8)
            }
            check(line)
        }
        transcript.append(String(decoding: bytes, as: UTF8.self))
    }

    private func check(_ line: [UInt8]) {
        let text = String(decoding: line, as: UTF8.self)
        if text.hasPrefix("* ") {
            if commandForbiddingExpunge != nil {
                precondition(!text.hasSuffix(" EXPUNGE"), "EXPUNGE while answering \(commandForbiddingExpunge ?? "")")
            }
            return
        }
        if text.hasPrefix("+ ") { return }
        let words = text.split(separator: " ", maxSplits: 2, omittingEmptySubsequences: false)
        precondition(words.count == 3, "a malformed response line: \(text)")
        precondition(sentTags.contains(String(words[0])), "a tagged response for a tag never sent: \(text)")
        precondition(["OK", "NO", "BAD"].contains(words[1]), "a tagged response that is no status: \(text)")
    }
}

@_cdecl("LLVMFuzzerTestOneInput")
public func imapSessionFuzzerTestOneInput(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    guard size > 0 else { return 0 }
    let options = data[0]
    let bytes = Array(UnsafeBufferPointer(start: data + 1, count: size - 1))
    let whole = SimulatedIMAPSession.run(bytes, options: options, readSizes: [bytes.count])
    let sizes = bytes.indices.lazy.map { Int(bytes[$0] ^ UInt8(truncatingIfNeeded: $0 &* 31)) % 64 + 1 }
    let pieces = SimulatedIMAPSession.run(bytes, options: options, readSizes: sizes)
    var expected = whole.transcript
    var actual = pieces.transcript
    if whole.droppedInputForTLS || pieces.droppedInputForTLS {
        expected = Array(expected.prefix { $0 != "tls" })
        actual = Array(actual.prefix { $0 != "tls" })
    }
    if expected != actual {
        fatalError("the outcome depends on how the input is cut:\n\(whole.transcript)\nvs\n\(pieces.transcript)")
    }
    return 0
}

#if !FUZZING
    /// A plain build makes this stub, so that the package links without libFuzzer; `make fuzz-imap` builds the
    /// fuzzer (with -DFUZZING, where libFuzzer supplies `main`).
    @main
    enum IMAPFuzzerStub {
        static func main() {
            print("imap-fuzzer is built without libFuzzer: run `make fuzz-imap` for the fuzzer")
        }
    }
#endif
