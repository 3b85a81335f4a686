@testable import MailpenSMTPCore

/// Drives a state machine the way the NIO handler does, for tests.
struct SessionDriver {
    var machine: SMTPSessionStateMachine

    init(_ configuration: SMTPSessionStateMachine.Configuration = .init(hostname: "mx.test")) {
        machine = SMTPSessionStateMachine(configuration: configuration, challengeNonce: "nonce")
        _ = machine.connectionOpened()
    }

    @discardableResult
    mutating func send(_ line: String) -> SMTPSessionStateMachine.Action {
        machine.receive(line: Array(line.utf8))
    }

    /// Sends a sequence of lines and returns the code of the last reply.
    @discardableResult
    mutating func run(_ lines: [String]) -> SMTPSessionStateMachine.Action {
        var last = SMTPSessionStateMachine.Action.none
        for line in lines { last = send(line) }
        return last
    }

    /// Feeds message bytes until the machine stops consuming; returns the total consumed and last action.
    mutating func feed(_ bytes: [UInt8]) -> (consumed: Int, action: SMTPSessionStateMachine.Action) {
        var offset = 0
        var last = SMTPSessionStateMachine.Action.none
        while offset < bytes.count {
            let (consumed, action) = bytes[offset...].withUnsafeBytes { machine.receive(messageBytes: $0) }
            offset += consumed
            last = action
            if consumed == 0 { break }
            if case .none = action { continue }
            break
        }
        return (offset, last)
    }

    mutating func feed(_ text: String) -> (consumed: Int, action: SMTPSessionStateMachine.Action) {
        feed(Array(text.utf8))
    }
}

extension SMTPSessionStateMachine.Action {
    /// The reply codes this action sends; 0 stands for "deliver", 1 for "check credentials", 2 for "consult", -1 for none.
    var codes: [Int] {
        switch self {
        case .none: return [-1]
        case .reply(let reply): return [reply.code]
        case .replyAndClose(let replies): return replies.map(\.code)
        case .replyAndStartTLS(let reply): return [reply.code]
        case .deliver: return [0]
        case .checkCredentials: return [1]
        case .consult: return [2]
        }
    }

    var code: Int { codes.first ?? -1 }

    var reply: SMTPReply? {
        switch self {
        case .reply(let reply), .replyAndStartTLS(let reply): return reply
        case .replyAndClose(let replies): return replies.first
        default: return nil
        }
    }

    var transaction: SMTPTransaction? {
        if case .deliver(let transaction) = self { return transaction }
        return nil
    }

    var closes: Bool {
        if case .replyAndClose = self { return true }
        return false
    }
}
