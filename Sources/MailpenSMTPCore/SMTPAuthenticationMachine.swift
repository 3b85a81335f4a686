/// The SASL dialogue of AUTH (RFC 4954) for PLAIN (RFC 4616), LOGIN and CRAM-MD5 (RFC 2195), as a pure
/// machine of its own.
///
/// ``SMTPSessionStateMachine`` decides whether AUTH is allowed at all (after EHLO, once, outside a
/// transaction); this machine then runs the mechanism: it sends the challenges, decodes the responses and
/// ends with credentials to check or with the reply for a failed dialogue. It outlives each dialogue so that
/// every CRAM-MD5 challenge of a session is different.
struct SMTPAuthenticationMachine: Sendable {
    /// The mechanisms offered in the EHLO reply, in the order offered.
    static let mechanisms = ["PLAIN", "LOGIN", "CRAM-MD5"]

    /// What the session must do next.
    enum Action: Sendable, Hashable {
        /// Send this `334` challenge and pass the client's next line to ``receive(response:)``.
        case challenge(SMTPReply)
        /// The dialogue is over: check these credentials.
        case check(SMTPCredentials)
        /// The dialogue is over without credentials: send this reply.
        case fail(SMTPReply)
    }

    /// The response the machine waits for.
    private enum Step: Sendable {
        case plainResponse
        case loginUsername
        case loginPassword(username: String)
        case cramMD5Response(challenge: String)
    }

    private let hostname: String
    private let challengeNonce: String
    private var challengeCount = 0
    /// The response awaited, or `nil` when no dialogue is under way.
    private var awaiting: Step?

    /// `hostname` and `challengeNonce` make up the CRAM-MD5 challenges (`<nonce.count@hostname>`).
    init(hostname: String, challengeNonce: String) {
        self.hostname = hostname
        self.challengeNonce = challengeNonce
    }

    /// Starts a dialogue for `AUTH mechanism [initial-response]`.
    mutating func start(mechanism: String, initialResponse: String?) -> Action {
        awaiting = nil
        switch mechanism {
        case "PLAIN":
            guard let initialResponse else { return ask(for: .plainResponse, with: "") }
            return answer(.plainResponse, with: Array(initialResponse.utf8))
        case "LOGIN":
            guard let initialResponse else { return ask(for: .loginUsername, with: SASL.encode("Username:")) }
            return answer(.loginUsername, with: Array(initialResponse.utf8))
        case "CRAM-MD5":
            guard initialResponse == nil else { return .fail(.syntax("CRAM-MD5 takes no initial response")) }
            challengeCount += 1
            let challenge = "<\(challengeNonce).\(challengeCount)@\(hostname)>"
            return ask(for: .cramMD5Response(challenge: challenge), with: SASL.encode(challenge))
        default:
            return .fail(.unsupportedMechanism(mechanism))
        }
    }

    /// The client's line after a challenge, without its line ending.
    mutating func receive(response line: some Collection<UInt8>) -> Action {
        guard let step = awaiting else { return .fail(.badSequence) }
        awaiting = nil
        return answer(step, with: line)
    }

    /// Ends the dialogue without an answer (the response was too long to read).
    mutating func abandon() {
        awaiting = nil
    }

    private mutating func ask(for step: Step, with challenge: String) -> Action {
        awaiting = step
        return .challenge(.challenge(challenge))
    }

    private mutating func answer(_ step: Step, with line: some Collection<UInt8>) -> Action {
        guard let text = String(validating: line, as: UTF8.self) else { return .fail(.cannotDecodeResponse) }
        let response = text.trimmingSMTPWhitespace()
        if response == "*" { return .fail(.authenticationCancelled) }
        guard let decoded = SASL.decode(response) else { return .fail(.cannotDecodeResponse) }
        switch step {
        case .plainResponse:
            // authzid NUL authcid NUL password; the authorization identity is ignored.
            let fields = decoded.split(separator: 0, omittingEmptySubsequences: false)
            guard fields.count == 3,
                let username = String(validating: fields[1], as: UTF8.self),
                let password = String(validating: fields[2], as: UTF8.self),
                !username.isEmpty
            else { return .fail(.cannotDecodeResponse) }
            return .check(.password(username: username, password: password))
        case .loginUsername:
            guard let username = String(validating: decoded, as: UTF8.self), !username.isEmpty else {
                return .fail(.cannotDecodeResponse)
            }
            return ask(for: .loginPassword(username: username), with: SASL.encode("Password:"))
        case .loginPassword(let username):
            guard let password = String(validating: decoded, as: UTF8.self) else { return .fail(.cannotDecodeResponse) }
            return .check(.password(username: username, password: password))
        case .cramMD5Response(let challenge):
            // "username digest": the username may contain spaces, the hex digest cannot.
            guard let text = String(validating: decoded, as: UTF8.self),
                let space = text.lastIndex(of: " "),
                space != text.startIndex
            else { return .fail(.cannotDecodeResponse) }
            let username = String(text[..<space])
            let digest = String(text[text.index(after: space)...])
            return .check(.challengeResponse(username: username, challenge: challenge, digest: digest))
        }
    }
}
