import MailpenSASL

@testable import MailpenPOP3Core

/// Drives a POP3 state machine the way the NIO handler does, answering its requests from a fixed maildrop.
struct POP3Driver {
    var machine: POP3SessionStateMachine
    var maildrop: [String: [UInt8]]
    var order: [String]
    /// Nil: the credentials cannot be checked (the store is unreachable).
    var acceptsCredentials: Bool? = true
    var maildropResult: POP3MaildropResult?
    var updateSucceeds = true
    private(set) var checked: [POP3Credentials] = []
    private(set) var updates: [POP3Update] = []
    private(set) var startedTLS = false
    private(set) var closed = false

    static let messages: [(String, String)] = [
        ("01A", "Subject: one\r\nFrom: a@test\r\n\r\nfirst line\r\n.dotted\r\nthird\r\n"),
        ("01B", "Subject: two\n\nbare\nlf\n"),
        ("01C", "Subject: three\r\n\r\n"),
    ]

    init(
        _ configuration: POP3SessionStateMachine.Configuration = .init(hostname: "pop.test"),
        connection: POP3SessionStateMachine.Connection = .init(isLoopback: true)
    ) {
        machine = POP3SessionStateMachine(configuration: configuration, connection: connection)
        maildrop = Dictionary(uniqueKeysWithValues: Self.messages.map { ($0.0, Array($0.1.utf8)) })
        order = Self.messages.map(\.0)
        _ = perform(machine.connectionOpened())
    }

    /// Sends one line and performs the actions it leads to; returns the responses sent.
    @discardableResult
    mutating func send(_ line: String) -> [POP3Response] {
        perform(machine.receive(line: Array(line.utf8)))
    }

    /// Sends the lines; returns the responses to the last one.
    @discardableResult
    mutating func run(_ lines: [String]) -> [POP3Response] {
        var last: [POP3Response] = []
        for line in lines { last = send(line) }
        return last
    }

    mutating func perform(_ action: POP3SessionStateMachine.Action) -> [POP3Response] {
        switch action {
        case .none: return []
        case .send(let response): return [response]
        case .sendAndClose(let response):
            closed = true
            return [response]
        case .close:
            closed = true
            return []
        case .startTLS(let response):
            startedTLS = true
            return [response] + perform(machine.tlsEstablished())
        case .checkCredentials(let credentials):
            checked.append(credentials)
            guard let acceptsCredentials else { return perform(machine.credentialsCouldNotBeChecked()) }
            return perform(machine.credentialsChecked(accepted: acceptsCredentials))
        case .openMaildrop:
            let result =
                maildropResult
                ?? .opened(order.map { POP3MaildropMessage(id: $0, size: maildrop[$0]?.count ?? 0) })
            return perform(machine.maildropOpened(result))
        case .loadMessage(let id):
            return perform(machine.messageLoaded(maildrop[id]))
        case .update(let update):
            updates.append(update)
            return perform(machine.updateCompleted(succeeded: updateSucceeds))
        }
    }
}

extension [POP3Response] {
    /// The status line of the first response, or "" when none was sent.
    var status: String { first?.statusLine ?? "" }
    /// The first response's body as text.
    var body: String { first?.body.map { String(decoding: $0, as: UTF8.self) } ?? "" }
}
