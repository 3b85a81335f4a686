import MailpenOutbound

/// One message handed to Mailpen over SMTP by `mailpen send` and `mailpen sendmail`, through MailpenOutbound's
/// client with the commands' settings — plain TCP to a local Mailpen, AUTH PLAIN as an inbox when asked, 30 s
/// per step — and its result told in their terms: the final reply, or a failure that may be temporary.
struct SMTPSubmission {
    var host: String
    var port: Int
    /// The inbox to log in as (the SMTP username); `nil` sends without AUTH.
    var inbox: String?
    /// The password for `inbox`; any works unless Mailpen checks credentials.
    var password: String?

    /// The password sent without `--password`: any works unless Mailpen checks credentials.
    static let defaultPassword = "mailpen"

    /// Why the message was not sent, and whether trying again later could work.
    struct Failure: Error, CustomStringConvertible {
        let message: String
        let isTemporary: Bool
        var description: String { message }
    }

    /// Sends `message` from `from` to `recipients`; returns the text of Mailpen's final reply
    /// (`2.0.0 Ok: queued as …`). Throws unless every recipient was accepted.
    func send(_ message: [UInt8], from: String, to recipients: [String]) async throws(Failure) -> String {
        var target = RelayTarget(
            host: host, port: port, tls: .none, heloName: "mailpen-cli", timeouts: .uniform(.seconds(30)))
        if let inbox {
            target.authentication = SMTPClientAuthentication(
                mechanism: .plain, username: inbox, password: password ?? Self.defaultPassword)
        }
        let result = await OutboundSMTPClient().send(
            OutboundMessage(mailFrom: from, recipients: recipients, content: message), to: target)
        return try outcome(of: result)
    }

    /// The reply text of a message every recipient took, or why it was not.
    func outcome(of result: OutboundResult) throws(Failure) -> String {
        let refused = result.recipients.filter { $0.outcome != .sent }
        if result.outcome == .sent, refused.isEmpty {
            return result.lastReply?.lines.joined(separator: " ") ?? ""
        }
        let isTemporary =
            result.outcome == .sent
            ? refused.contains { $0.outcome == .temporaryFailure } : result.outcome == .temporaryFailure
        let detail = result.error ?? result.lastReply?.text ?? "no reply"
        if result.outcome == .sent {
            let who = refused.map { "\($0.address) (\($0.reply?.text ?? "no reply"))" }.joined(separator: ", ")
            throw Failure(
                message: "the SMTP server refused \(who); the others got the message", isTemporary: isTemporary)
        }
        guard result.lastReply != nil else {
            // Nothing was heard from the server: it could not be reached, or the message never left.
            guard isTemporary else { throw Failure(message: detail, isTemporary: false) }
            let repeated = "could not connect to \(host):\(port): "
            let reason = detail.hasPrefix(repeated) ? String(detail.dropFirst(repeated.count)) : detail
            throw Failure(message: "cannot connect to the SMTP server at \(host):\(port): \(reason)", isTemporary: true)
        }
        // The client's sentence names the step and quotes the reply ("MAIL FROM refused: 552 …").
        throw Failure(message: detail, isTemporary: isTemporary)
    }
}
