extension IMAPSessionStateMachine {
    mutating func loadMailbox(tag: String, _ purpose: MailboxPurpose) -> Action {
        guard let username else { return bad(tag: tag, "log in first") }
        waiting = .mailbox(tag: tag, purpose)
        return Action(request: .loadMailbox(username: username))
    }

    /// The answer to ``Request/loadMailbox(username:)``; nil when the inbox cannot be read.
    public mutating func mailboxLoaded(_ snapshot: IMAPMailboxSnapshot?) -> Action {
        guard case .mailbox(let tag, let purpose) = waiting else { return .none }
        waiting = .nothing
        guard let snapshot else { return no(tag, "[UNAVAILABLE] The inbox cannot be read now") }
        let messages = snapshot.messages.sorted { $0.uid < $1.uid }
        let uidNext = max(snapshot.uidNext, (messages.last?.uid ?? 0) &+ 1)
        switch purpose {
        case .status(let attributes):
            let values = attributes.map { attribute -> String in
                switch attribute {
                case .messages: return "MESSAGES \(messages.count)"
                case .recent: return "RECENT 0"
                case .uidNext: return "UIDNEXT \(uidNext)"
                case .uidValidity: return "UIDVALIDITY \(snapshot.uidValidity)"
                case .unseen: return "UNSEEN \(messages.filter { !$0.isRead }.count)"
                }
            }
            return complete(
                tag, "STATUS completed", expunges: true,
                before: untaggedLine("STATUS INBOX (\(values.joined(separator: " ")))"))
        case .select(let readOnly):
            cache.removeAll()
            var unique: [IMAPSessionMessage] = []
            for message in messages where unique.last?.info.uid != message.uid {
                unique.append(IMAPSessionMessage(message))
            }
            selection = Selection(
                readOnly: readOnly, uidValidity: snapshot.uidValidity, uidNext: uidNext, messages: unique)
            phase = .selected
            var keywords = Set<IMAPFlag>()
            for message in unique { keywords.formUnion(message.sessionFlags) }
            let keywordNames = keywords.map(\.name).sorted()
            var writer = IMAPWriter()
            writer.untagged(
                "FLAGS ("
                    + (["\\Answered", "\\Flagged", "\\Deleted", "\\Seen", "\\Draft"] + keywordNames).joined(
                        separator: " ") + ")")
            writer.untagged(
                "OK [PERMANENTFLAGS (" + (readOnly ? "" : "\\Seen \\Deleted") + ")] Other flags stay in this session")
            writer.untagged("\(unique.count) EXISTS")
            writer.untagged("0 RECENT")
            if let firstUnseen = unique.firstIndex(where: { !$0.info.isRead }) {
                writer.untagged("OK [UNSEEN \(firstUnseen + 1)] First unseen")
            }
            writer.untagged("OK [UIDVALIDITY \(snapshot.uidValidity)] UIDs valid")
            writer.untagged("OK [UIDNEXT \(uidNext)] Predicted next UID")
            writer.tagged(tag, .ok, readOnly ? "[READ-ONLY] EXAMINE completed" : "[READ-WRITE] SELECT completed")
            return Action(output: IMAPResponse(bytes: writer.bytes))
        }
    }

    /// A change to the inbox made elsewhere. The client hears of it at once during IDLE, else with the
    /// response to its next command (expunges only when RFC 3501 §7.4.1 allows them).
    public mutating func mailboxChanged(_ change: IMAPMailboxChange) -> Action {
        guard var current = selection else { return .none }
        // Taken out, so that its message list changes in place rather than being copied whole on every
        // change (thousands of messages, for every session on the inbox).
        selection = nil
        switch change {
        case .added(let infos):
            for info in infos.sorted(by: { $0.uid < $1.uid }) where info.uid > current.largestUID {
                current.append(IMAPSessionMessage(info))
                current.uidNext = max(current.uidNext, info.uid &+ 1)
            }
        case .removed(let ids):
            for id in ids {
                guard let index = current.index(ofID: id) else { continue }
                current.messages[index].isGone = true
                current.hasGone = true
            }
        case .readChanged(let id, let isRead):
            if let index = current.index(ofID: id), current.messages[index].info.isRead != isRead {
                current.messages[index].info.isRead = isRead
                current.messages[index].flagsChanged = true
                current.hasChangedFlags = true
            }
        }
        selection = current
        guard case .idle = waiting else { return .none }
        var writer = IMAPWriter()
        flushUpdates(into: &writer, expunges: true)
        return writer.bytes.isEmpty ? .none : Action(output: IMAPResponse(bytes: writer.bytes))
    }

    /// Writes what the client has not been told: EXPUNGEs (when allowed), EXISTS, changed FLAGS.
    mutating func flushUpdates(into writer: inout IMAPWriter, expunges: Bool) {
        guard var current = selection else { return }
        selection = nil  // as in `mailboxChanged`: changed in place, not copied
        if expunges && current.hasGone {
            current.hasGone = false
            // Highest first, so every number sent is still valid when the client reads it.
            for index in current.messages.indices.reversed() where current.messages[index].isGone {
                current.remove(at: index)
                if index < current.knownCount {
                    writer.untagged("\(index + 1) EXPUNGE")
                    current.knownCount -= 1
                }
            }
        }
        if current.messages.count > current.knownCount {
            current.knownCount = current.messages.count
            writer.untagged("\(current.knownCount) EXISTS")
        }
        if current.hasChangedFlags {
            current.hasChangedFlags = false
            for index in current.messages.indices where current.messages[index].flagsChanged {
                current.messages[index].flagsChanged = false
                guard !current.messages[index].isGone else { continue }
                let message = current.messages[index]
                writer.untagged("\(index + 1) FETCH (UID \(message.info.uid) FLAGS \(message.flagList))")
            }
        }
        selection = current
    }

    // MARK: - EXPUNGE, UID EXPUNGE, CLOSE

    mutating func expunge(tag: String, uids: IMAPSequenceSet?, closes: Bool) -> Action {
        guard let current = selection else { return bad(tag: tag, "no mailbox selected") }
        if current.readOnly {
            if closes {
                selection = nil
                phase = .authenticated
                return respond { $0.tagged(tag, .ok, "CLOSE completed") }
            }
            return no(tag, "[READ-ONLY] The mailbox is read-only")
        }
        let ids = current.messages.filter { message in
            message.has(.deleted) && !message.isGone
                && (uids?.contains(message.info.uid, largest: current.largestUID) ?? true)
        }.map(\.info.id)
        if ids.isEmpty { return finishExpunge(tag: tag, ids: [], reportsExpunges: true, closes: closes) }
        waiting = .deletion(tag: tag, ids: Set(ids), reportsExpunges: true, closes: closes)
        return Action(request: .deleteMessages(ids: ids))
    }

    /// The answer to ``Request/deleteMessages(ids:)``.
    public mutating func messagesDeleted(succeeded: Bool) -> Action {
        guard case .deletion(let tag, let ids, let reportsExpunges, let closes) = waiting else { return .none }
        waiting = .nothing
        guard succeeded else { return no(tag, "[UNAVAILABLE] The messages could not be deleted") }
        return finishExpunge(tag: tag, ids: ids, reportsExpunges: reportsExpunges, closes: closes)
    }

    private mutating func finishExpunge(tag: String, ids: Set<String>, reportsExpunges: Bool, closes: Bool) -> Action {
        if closes {
            // CLOSE expunges silently (RFC 3501 §6.4.2).
            selection = nil
            phase = .authenticated
            return respond { $0.tagged(tag, .ok, "CLOSE completed") }
        }
        if var current = selection {
            for index in current.messages.indices where ids.contains(current.messages[index].info.id) {
                current.messages[index].isGone = true
                current.hasGone = true
            }
            selection = current
        }
        return complete(tag, "EXPUNGE completed", expunges: true)
    }
}
