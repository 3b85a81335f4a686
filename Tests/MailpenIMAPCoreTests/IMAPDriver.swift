import Foundation
import MailpenSASL

@testable import MailpenIMAPCore

/// Drives an IMAP state machine through ``IMAPSessionInput`` the way the NIO handler does, answering its
/// requests from an in-memory inbox, and records everything it writes.
struct IMAPDriver {
    var machine: IMAPSessionStateMachine
    var input: IMAPSessionInput
    var inbox: [(info: IMAPMessageInfo, raw: [UInt8])]
    var uidValidity: UInt32 = 1_700_000_000
    /// Nil: the credentials cannot be checked (the store is unreachable).
    var acceptsCredentials: Bool? = true
    var storeSucceeds = true
    /// The store's answer to a search: the ids each query matches, nil when the store fails (the default:
    /// the session then evaluates every key itself).
    var storeSearch: @Sendable ([String]) -> [[String]]? = { _ in nil }
    private(set) var checked: [IMAPCredentials] = []
    private(set) var requests: [IMAPSessionStateMachine.Request] = []
    private(set) var startedTLS = false
    private(set) var closed = false
    private var buffer: [UInt8] = []

    static let defaultMessages: [String] = [
        "From: Alice <alice@example.com>\r\nTo: bob@example.com\r\nSubject: Hello\r\nDate: Mon, 2 Jan 2023 10:00:00 +0000\r\nMessage-ID: <one@example.com>\r\n\r\nFirst body line\r\nSecond line\r\n",
        "From: carol@example.com\r\nTo: bob@example.com\r\nSubject: Invoice 42\r\nDate: Tue, 3 Jan 2023 11:00:00 +0000\r\n\r\nPlease pay.\r\n",
        "From: Dave <dave@example.com>\r\nTo: bob@example.com\r\nSubject: Lunch\r\nDate: Wed, 4 Jan 2023 12:00:00 +0000\r\n\r\nNoon?\r\n",
    ]

    init(
        _ configuration: IMAPSessionStateMachine.Configuration = .init(hostname: "imap.test"),
        connection: IMAPSessionStateMachine.Connection = .init(isLoopback: true),
        messages: [String] = IMAPDriver.defaultMessages
    ) {
        machine = IMAPSessionStateMachine(configuration: configuration, connection: connection)
        input = IMAPSessionInput(
            maximumLineLength: configuration.maximumLineLength, maximumCommandSize: configuration.maximumCommandSize)
        inbox = []
        for (index, text) in messages.enumerated() {
            let raw = Array(text.utf8)
            let info = IMAPMessageInfo(
                uid: UInt32(10 + index * 10), id: "m\(index + 1)", size: IMAPMessageContent.servedSize(of: raw),
                internalDate: Date(timeIntervalSince1970: 1_672_650_000 + Double(index) * 86_400), isRead: index == 0)
            inbox.append((info, raw))
        }
        _ = perform(machine.connectionOpened())
    }

    /// Sends raw client bytes and returns everything the server wrote in response.
    @discardableResult
    mutating func send(_ text: String) -> String {
        send(bytes: Array(text.utf8))
    }

    @discardableResult
    mutating func send(bytes: [UInt8]) -> String {
        buffer += bytes
        var out = ""
        while !buffer.isEmpty {
            let (consumed, step) = buffer.withUnsafeBytes { input.feed($0, to: &machine) }
            buffer.removeFirst(consumed)
            guard case .act(let action) = step else { break }
            out += perform(action)
        }
        return out
    }

    /// Logs in and selects INBOX.
    mutating func select(_ command: String = "SELECT INBOX") {
        send("a LOGIN bob secret\r\n")
        send("b \(command)\r\n")
    }

    mutating func snapshot() -> IMAPMailboxSnapshot {
        IMAPMailboxSnapshot(
            uidValidity: uidValidity, uidNext: (inbox.last?.info.uid ?? 0) + 1, messages: inbox.map(\.info))
    }

    mutating func perform(_ action: IMAPSessionStateMachine.Action) -> String {
        var out = action.output?.text ?? ""
        guard let request = action.request else { return out }
        requests.append(request)
        switch request {
        case .close:
            closed = true
        case .startTLS:
            startedTLS = true
            buffer.removeAll()
            out += perform(machine.tlsEstablished())
        case .checkCredentials(let credentials):
            checked.append(credentials)
            if let acceptsCredentials {
                out += perform(machine.credentialsChecked(accepted: acceptsCredentials))
            } else {
                out += perform(machine.credentialsCouldNotBeChecked())
            }
        case .loadMailbox:
            out += perform(machine.mailboxLoaded(snapshot()))
        case .loadMessages(let ids):
            var loaded: [String: [UInt8]] = [:]
            for entry in inbox where ids.contains(entry.info.id) { loaded[entry.info.id] = entry.raw }
            out += perform(machine.messagesLoaded(loaded))
        case .searchMailbox(_, let queries):
            out += perform(machine.mailboxSearched(storeSearch(queries)))
        case .setRead(let ids, let isRead):
            for index in inbox.indices where ids.contains(inbox[index].info.id) { inbox[index].info.isRead = isRead }
            out += perform(machine.readFlagsStored(succeeded: storeSucceeds))
        case .deleteMessages(let ids):
            inbox.removeAll { ids.contains($0.info.id) }
            out += perform(machine.messagesDeleted(succeeded: storeSucceeds))
        }
        return out
    }
}

extension String {
    /// The response lines (split at CRLF).
    var lines: [String] { components(separatedBy: "\r\n").filter { !$0.isEmpty } }
    /// The last line: usually the tagged status.
    var tagged: String { lines.last ?? "" }
}
