import MailpenSASL

extension IMAPSessionStateMachine {
    /// Dispatches a parsed command by the session's state (RFC 3501 §6: which commands each state allows).
    mutating func handle(_ command: IMAPCommand) -> Action {
        let tag = command.tag
        switch command.kind {
        case .capability:
            return complete(
                tag, "CAPABILITY completed", expunges: true, before: untaggedLine("CAPABILITY \(capabilities)"))
        case .noop:
            return complete(tag, "NOOP completed", expunges: true)
        case .check:
            guard case .selected = phase else { return bad(tag: tag, "no mailbox selected") }
            return complete(tag, "CHECK completed", expunges: true)
        case .logout:
            phase = .closed
            selection = nil
            var writer = IMAPWriter()
            writer.untagged("BYE \(configuration.hostname) Mailpen IMAP signing off")
            writer.tagged(tag, .ok, "LOGOUT completed")
            return Action(output: IMAPResponse(bytes: writer.bytes), request: .close)
        case .id:
            return complete(tag, "ID completed", expunges: true, before: untaggedLine("ID (\"name\" \"Mailpen\")"))
        case .startTLS:
            guard case .notAuthenticated = phase else { return bad(tag: tag, "already authenticated") }
            guard offersStartTLSNow else {
                return bad(tag: tag, connection.isTLS ? "TLS already active" : "STARTTLS not available")
            }
            waiting = .tls
            return Action(
                output: respond { $0.tagged(tag, .ok, "Begin TLS negotiation now") }.output, request: .startTLS)
        case .login(let username, let password):
            guard case .notAuthenticated = phase else { return bad(tag: tag, "already authenticated") }
            guard mayUsePlaintext else { return privacyRequired(tag) }
            return check(tag: tag, IMAPCredentials(username: username, password: password))
        case .authenticate(let mechanism, let initialResponse):
            guard case .notAuthenticated = phase else { return bad(tag: tag, "already authenticated") }
            guard mechanism == "PLAIN" else {
                return respond { $0.tagged(tag, .no, "Unsupported authentication mechanism") }
            }
            guard mayUsePlaintext else { return privacyRequired(tag) }
            guard let initialResponse else {
                waiting = .plainResponse(tag: tag)
                return respond {
                    $0.raw("+ ")
                    $0.crlf()
                }
            }
            return authenticatePlain(tag: tag, response: initialResponse)
        default:
            break
        }
        if case .notAuthenticated = phase { return bad(tag: tag, "log in first") }
        switch command.kind {
        case .enable:
            // Nothing the clients ask for (CONDSTORE, QRESYNC, UTF8=ACCEPT) is offered, so nothing is enabled.
            return complete(tag, "ENABLE completed", expunges: true, before: untaggedLine("ENABLED"))
        case .namespace:
            return complete(
                tag, "NAMESPACE completed", expunges: true, before: untaggedLine("NAMESPACE ((\"\" \"/\")) NIL NIL"))
        case .select(let mailbox), .examine(let mailbox):
            var readOnly = false
            if case .examine = command.kind { readOnly = true }
            // A SELECT, even one that fails, leaves the selected mailbox first (RFC 3501 §6.3.1).
            selection = nil
            phase = .authenticated
            guard mailbox == "INBOX" else {
                return respond { $0.tagged(tag, .no, "[NONEXISTENT] Mailpen has only INBOX") }
            }
            return loadMailbox(tag: tag, .select(readOnly: readOnly))
        case .status(let mailbox, let attributes):
            guard mailbox == "INBOX" else { return no(tag, "[NONEXISTENT] Mailpen has only INBOX") }
            return loadMailbox(tag: tag, .status(attributes))
        case .list(let reference, let pattern), .lsub(let reference, let pattern):
            var isList = false
            if case .list = command.kind { isList = true }
            return complete(
                tag, (isList ? "LIST" : "LSUB") + " completed", expunges: true,
                before: listing(reference: reference, pattern: pattern, keyword: isList ? "LIST" : "LSUB"))
        case .create(let mailbox):
            return no(tag, mailbox == "INBOX" ? "[ALREADYEXISTS] INBOX exists" : "[CANNOT] Mailpen has only INBOX")
        case .delete(let mailbox):
            return no(
                tag, mailbox == "INBOX" ? "[CANNOT] INBOX cannot be deleted" : "[NONEXISTENT] Mailpen has only INBOX")
        case .rename:
            return no(tag, "[CANNOT] Mailpen's mailboxes cannot be renamed")
        case .subscribe(let mailbox):
            guard mailbox == "INBOX" else { return no(tag, "[NONEXISTENT] Mailpen has only INBOX") }
            return complete(tag, "SUBSCRIBE completed", expunges: true)
        case .unsubscribe:
            return complete(tag, "UNSUBSCRIBE completed", expunges: true)
        case .append:
            return no(tag, "[CANNOT] APPEND is not supported: Mailpen's inboxes fill only by SMTP")
        case .idle:
            // RFC 2177 allows IDLE once authenticated: without a selected mailbox there is nothing to report
            // until DONE (``mailboxChanged(_:)`` ignores changes then).
            waiting = .idle(tag: tag)
            var writer = IMAPWriter()
            writer.raw("+ idling")
            writer.crlf()
            flushUpdates(into: &writer, expunges: true)
            return Action(output: IMAPResponse(bytes: writer.bytes))
        default:
            break
        }
        guard case .selected = phase, selection != nil else { return bad(tag: tag, "no mailbox selected") }
        switch command.kind {
        case .close:
            return expunge(tag: tag, uids: nil, closes: true)
        case .unselect:
            selection = nil
            phase = .authenticated
            return respond { $0.tagged(tag, .ok, "UNSELECT completed") }
        case .expunge:
            return expunge(tag: tag, uids: nil, closes: false)
        case .uidExpunge(let set):
            return expunge(tag: tag, uids: set, closes: false)
        case .search(let key, let charset, let byUID):
            return search(tag: tag, key: key, charset: charset, byUID: byUID)
        case .fetch(let set, let attributes, let byUID):
            return fetch(tag: tag, set: set, attributes: attributes, byUID: byUID)
        case .store(let set, let flags, let byUID):
            return store(tag: tag, set: set, flags: flags, byUID: byUID)
        case .copy, .move:
            return no(tag, "[CANNOT] Mailpen has only INBOX")
        default:
            return bad(tag: tag, "command not allowed now")
        }
    }

    func untaggedLine(_ text: String) -> [UInt8] {
        var writer = IMAPWriter()
        writer.untagged(text)
        return writer.bytes
    }

    private func privacyRequired(_ tag: String) -> Action {
        respond {
            $0.tagged(
                tag, .no,
                "[PRIVACYREQUIRED] Plaintext authentication is disallowed on an insecure connection"
                    + (offersStartTLSNow ? "; use STARTTLS" : ""))
        }
    }

    mutating func authenticatePlain(tag: String, response: String) -> Action {
        guard let credentials = IMAPSASL.decodePlain(response) else {
            return bad(tag: tag, "invalid SASL PLAIN response")
        }
        return check(tag: tag, credentials)
    }

    private mutating func check(tag: String, _ credentials: IMAPCredentials) -> Action {
        waiting = .credentials(tag: tag, username: credentials.username)
        return Action(request: .checkCredentials(credentials))
    }

    // MARK: - LIST

    /// The LIST or LSUB responses for INBOX (and the hierarchy delimiter for an empty pattern).
    private func listing(reference: String, pattern: String, keyword: String) -> [UInt8] {
        var writer = IMAPWriter()
        if pattern.isEmpty {
            if keyword == "LIST" { writer.untagged("LIST (\\Noselect) \"/\" \"\"") }
            return writer.bytes
        }
        if Self.wildcardMatches(Array((reference + pattern).utf8), Array("INBOX".utf8)) {
            writer.untagged("\(keyword) (\\HasNoChildren) \"/\" INBOX")
        }
        return writer.bytes
    }

    /// `*` matches anything, `%` anything but the delimiter; letters match case-insensitively (only INBOX
    /// is ever matched). Dynamic programming over the pattern keeps runs of wildcards linear.
    static func wildcardMatches(_ pattern: [UInt8], _ name: [UInt8]) -> Bool {
        // matches[n]: the pattern so far matches the first n bytes of the name.
        var matches = [Bool](repeating: false, count: name.count + 1)
        matches[0] = true
        for byte in pattern {
            var next = [Bool](repeating: false, count: name.count + 1)
            if byte == UInt8(ascii: "*") || byte == UInt8(ascii: "%") {
                for n in 0...name.count {
                    next[n] =
                        matches[n]
                        || (n > 0 && next[n - 1] && (byte == UInt8(ascii: "*") || name[n - 1] != UInt8(ascii: "/")))
                }
            } else {
                for n in 1...max(1, name.count) where n <= name.count {
                    next[n] = matches[n - 1] && IMAPParseBuffer.upper(byte) == IMAPParseBuffer.upper(name[n - 1])
                }
            }
            matches = next
        }
        return matches[name.count]
    }
}
