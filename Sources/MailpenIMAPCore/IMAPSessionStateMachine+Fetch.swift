import MailpenMIME

extension IMAPSessionStateMachine {
    /// A FETCH under way: the messages still to answer (by UID, so new arrivals cannot shift them) and the
    /// messages whose `\Seen` a body fetch set.
    struct FetchWork: Sendable {
        var tag: String
        var byUID: Bool
        var attributes: [IMAPFetchAttribute]
        var remaining: [UInt32]
        var batch: [UInt32] = []
        var newlySeen: [String] = []
        var missing = false
        /// A message's answer would have passed ``maximumBodyBytes(forMessageOf:)``: the command ends there.
        var isOverLimit = false
    }

    /// How many times its size of body data one message's FETCH answer may carry (plus ``bodyAllowance``):
    /// what clients ask for (the whole message, or its header and parts) fits. An answer is built whole
    /// before it is sent, so without a bound one short command naming `BODY[]` hundreds of times would take
    /// hundreds of times the message in memory.
    static let bodyMultiple = 2
    /// Room for small messages, whose header and parts may be asked for many times over.
    static let bodyAllowance = 1024 * 1024

    /// The most body data one answer for a message of `size` bytes carries.
    static func maximumBodyBytes(forMessageOf size: Int) -> Int {
        let (multiple, overflows) = size.multipliedReportingOverflow(by: bodyMultiple)
        return overflows || multiple > Int.max - bodyAllowance ? Int.max : multiple + bodyAllowance
    }

    /// The tagged NO's text when a message's answer would pass ``maximumBodyBytes(forMessageOf:)``.
    static let overLimitText =
        "[LIMIT] FETCH asks for more of a message than \(bodyMultiple) times its size (and 1 MB) at once"

    /// A SEARCH under way: its plan, the store's matches once known, the candidates still undecided (they
    /// need their content read) and the matches so far.
    struct SearchWork: Sendable {
        var tag: String
        var byUID: Bool
        var key: IMAPSearchKey
        var plan: IMAPSearchPlan
        /// How many store queries the plan refers to, and their matches once the store answered.
        var queryCount = 0
        var storeMatches: [Set<String>] = []
        var remaining: [UInt32]
        var screened = false
        var batch: [UInt32] = []
        var matches: [UInt32] = []
    }

    // MARK: - Sequence sets

    /// The UIDs a set names, in mailbox order; nil when a sequence number is out of range.
    func resolve(_ set: IMAPSequenceSet, byUID: Bool) -> [UInt32]? {
        guard let current = selection else { return nil }
        if byUID {
            let largest = current.largestUID
            return current.messages.filter { set.contains($0.info.uid, largest: largest) }.map(\.info.uid)
        }
        let count = UInt32(current.messages.count)
        for range in set.ranges {
            for bound in [range.first, range.last] {
                switch bound {
                case .number(let number) where number > count: return nil
                case .last where count == 0: return nil
                default: continue
                }
            }
        }
        return current.messages.enumerated().filter { set.contains(UInt32($0.offset + 1), largest: count) }.map(
            \.element.info.uid)
    }

    // MARK: - FETCH

    mutating func fetch(tag: String, set: IMAPSequenceSet, attributes: [IMAPFetchAttribute], byUID: Bool) -> Action {
        guard let uids = resolve(set, byUID: byUID) else { return bad(tag: tag, "invalid message sequence number") }
        // An item named twice is answered once.
        var seen = Set<IMAPFetchAttribute>()
        var attributes = attributes.filter { seen.insert($0).inserted }
        if byUID && !attributes.contains(.uid) { attributes.insert(.uid, at: 0) }
        let work = FetchWork(tag: tag, byUID: byUID, attributes: attributes, remaining: uids)
        return continueFetch(work, output: [])
    }

    /// Answers the messages it has content for, then asks for the next batch or finishes.
    private mutating func continueFetch(_ work: FetchWork, output: [UInt8]) -> Action {
        var work = work
        var writer = IMAPWriter()
        writer.raw(output)
        let needsContent = work.attributes.contains { $0.needsContent }
        while let uid = work.remaining.first {
            guard let id = message(uid: uid)?.info.id else {
                work.remaining.removeFirst()
                continue
            }
            var content: IMAPMessageContent?
            if needsContent {
                content = cache.content(for: id)
                // Past a step's bytes, the answer so far goes out before more is added: the next message is
                // asked for again even if it is cached.
                if content == nil || writer.bytes.count >= configuration.fetchStepBytes {
                    // Ask for this message and the next ones, up to a batch and about a step's bytes.
                    var batch: [UInt32] = []
                    var ids: [String] = []
                    var bytes = 0
                    for candidate in work.remaining where batch.count < configuration.fetchBatchSize {
                        guard let info = message(uid: candidate)?.info else { continue }
                        if !batch.isEmpty && info.size > configuration.fetchStepBytes - bytes { break }
                        batch.append(candidate)
                        ids.append(info.id)
                        bytes += info.size
                    }
                    work.batch = batch
                    waiting = .fetch(work)
                    return Action(
                        output: writer.bytes.isEmpty ? nil : IMAPResponse(bytes: writer.bytes),
                        request: .loadMessages(ids: ids))
                }
            }
            work.remaining.removeFirst()
            writeFetch(uid: uid, content: content, work: &work, into: &writer)
        }
        waiting = .nothing
        if !work.newlySeen.isEmpty {
            waiting = .readFlags(
                tag: work.tag, completion: work.isOverLimit ? Self.overLimitText : "FETCH completed", output: [],
                fails: work.isOverLimit)
            return Action(
                output: IMAPResponse(bytes: writer.bytes), request: .setRead(ids: work.newlySeen, isRead: true))
        }
        if work.isOverLimit { return no(work.tag, Self.overLimitText, expunges: false, before: writer.bytes) }
        if work.missing {
            return no(
                work.tag, "Some messages were expunged and could not be fetched", expunges: work.byUID,
                before: writer.bytes)
        }
        return complete(work.tag, "FETCH completed", expunges: work.byUID, before: writer.bytes)
    }

    /// The answer to ``Request/loadMessages(ids:)``: raw bytes by id; ids that have gone are left out.
    public mutating func messagesLoaded(_ messages: [String: [UInt8]]) -> Action {
        switch waiting {
        case .fetch(var work):
            for uid in work.batch {
                guard let id = message(uid: uid)?.info.id else { continue }
                if let raw = messages[id] {
                    cache.insert(IMAPMessageContent(raw: raw), for: id)
                } else {
                    // Gone before it could be read: answered without it, and the command ends in NO.
                    work.remaining.removeAll { $0 == uid }
                    work.missing = true
                }
            }
            // A cache smaller than the batch keeps only part of it: answer the batch from what arrived.
            var writer = IMAPWriter()
            for uid in work.batch where work.remaining.first == uid {
                guard let id = message(uid: uid)?.info.id, let raw = messages[id] else { continue }
                let content = cache.content(for: id) ?? IMAPMessageContent(raw: raw)
                work.remaining.removeFirst()
                writeFetch(uid: uid, content: content, work: &work, into: &writer)
            }
            work.batch = []
            return continueFetch(work, output: writer.bytes)
        case .search(var work):
            let evaluator = searchEvaluator
            for uid in work.batch {
                guard let index = selection?.index(ofUID: uid), let current = selection?.messages[index] else {
                    continue
                }
                // A message gone before it could be read matches no key that reads it.
                let content = messages[current.info.id].map { IMAPMessageContent(raw: $0) }
                let matched = work.plan.matches(
                    current, sequenceNumber: UInt32(index + 1), content: content, contentLoaded: true,
                    storeMatches: work.storeMatches, evaluator: evaluator)
                if matched == true { work.matches.append(uid) }
            }
            work.remaining.removeFirst(min(work.batch.count, work.remaining.count))
            work.batch = []
            return continueSearch(work)
        default:
            return .none
        }
    }

    private func message(uid: UInt32) -> IMAPSessionMessage? {
        guard let current = selection, let index = current.index(ofUID: uid) else { return nil }
        return current.messages[index]
    }

    /// One `* n FETCH (...)` line (with literals).
    private mutating func writeFetch(
        uid: UInt32, content: IMAPMessageContent?, work: inout FetchWork, into writer: inout IMAPWriter
    ) {
        guard var current = selection, let index = current.index(ofUID: uid) else { return }
        // Each item's body data, read once; read until they pass the bound, which ends the command here.
        var bodies: [ArraySlice<UInt8>?] = []
        if let content {
            let limit = Self.maximumBodyBytes(forMessageOf: content.bytes.count)
            var total = 0
            for attribute in work.attributes {
                let body = Self.bodyData(attribute, of: content)
                total += body?.count ?? 0
                guard total <= limit else {
                    work.isOverLimit = true
                    work.remaining.removeAll()
                    return
                }
                bodies.append(body)
            }
        } else {
            bodies = Array(repeating: nil, count: work.attributes.count)
        }
        var setsSeen = false
        if !current.readOnly, !current.messages[index].info.isRead, !current.messages[index].isGone,
            work.attributes.contains(where: \.setsSeen)
        {
            current.messages[index].info.isRead = true
            current.messages[index].flagsChanged = false
            selection = current
            setsSeen = true
            work.newlySeen.append(current.messages[index].info.id)
        }
        let message = current.messages[index]
        writer.raw("* \(index + 1) FETCH (")
        var first = true
        func item(_ name: String) {
            if !first { writer.space() }
            first = false
            writer.raw(name)
        }
        for (attribute, body) in zip(work.attributes, bodies) {
            switch attribute {
            case .uid:
                item("UID \(message.info.uid)")
            case .flags:
                item("FLAGS \(message.flagList)")
            case .internalDate:
                item("INTERNALDATE \"\(IMAPDateTime.format(message.info.internalDate))\"")
            case .rfc822Size:
                item("RFC822.SIZE \(content?.bytes.count ?? message.info.size)")
            case .envelope:
                item("ENVELOPE ")
                if let content {
                    IMAPEnvelope(content: content, part: content.message.root).write(to: &writer)
                } else {
                    writer.raw("NIL")
                }
            case .bodyStructure(let extensible):
                item(extensible ? "BODYSTRUCTURE " : "BODY ")
                if let content {
                    IMAPBodyStructure(content: content, extensible: extensible).write(to: &writer)
                } else {
                    writer.raw("NIL")
                }
            case .rfc822:
                item("RFC822 ")
                writer.literal(body ?? [])
            case .rfc822Header:
                item("RFC822.HEADER ")
                writer.literal(body ?? [])
            case .rfc822Text:
                item("RFC822.TEXT ")
                writer.literal(body ?? [])
            case .section(let section, let partial, _):
                let origin = partial.map { "<\($0.origin)>" } ?? ""
                item("BODY[\(section.specifier)]\(origin) ")
                guard let body else {
                    writer.raw("NIL")
                    continue
                }
                writer.literal(body)
            }
        }
        if setsSeen && !work.attributes.contains(.flags) { item("FLAGS \(message.flagList)") }
        writer.raw(")")
        writer.crlf()
    }

    /// The body data `attribute` answers with from `content`, as it is written (a partial one cut to its
    /// range); nil for an item that is not body data, or a section the message does not have.
    private static func bodyData(_ attribute: IMAPFetchAttribute, of content: IMAPMessageContent) -> ArraySlice<UInt8>?
    {
        switch attribute {
        case .rfc822: return content.bytes[...]
        case .rfc822Header: return content.bytes(of: IMAPSection(text: .header))
        case .rfc822Text: return content.bytes(of: IMAPSection(text: .text))
        case .section(let section, let partial, _):
            guard let data = content.bytes(of: section) else { return nil }
            guard let partial else { return data }
            let start = min(data.count, partial.origin)
            let end = start + min(data.count - start, partial.length)
            return data[data.startIndex + start..<data.startIndex + end]
        default: return nil
        }
    }

    /// The answer to ``Request/setRead(ids:isRead:)``.
    public mutating func readFlagsStored(succeeded: Bool) -> Action {
        guard case .readFlags(let tag, let completion, let output, let fails) = waiting else { return .none }
        waiting = .nothing
        guard succeeded else {
            var writer = IMAPWriter()
            writer.raw(output)
            writer.tagged(tag, .no, "[UNAVAILABLE] The read flag could not be stored")
            return Action(output: IMAPResponse(bytes: writer.bytes))
        }
        if fails { return no(tag, completion, expunges: false, before: output) }
        // FETCH and STORE by sequence number may not be followed by EXPUNGE; the UID forms may, but a
        // later command will carry them just as well.
        return complete(tag, completion, expunges: false, before: output)
    }

    // MARK: - STORE

    /// Keywords a session sets live in its memory, once per message: without bounds, each short STORE could
    /// add hundreds to every message of the mailbox. (Dovecot and Cyrus refuse new keywords past a limit too.)
    /// Mailpen's tags, shown as keywords, do not count.
    static let maximumKeywordsPerMessage = 64
    /// The most distinct keywords a session sets across the mailbox.
    static let maximumKeywords = 256
    /// The tagged NO's text when a STORE would pass ``maximumKeywordsPerMessage``.
    static let keywordsPerMessageText = "[LIMIT] A message has at most \(maximumKeywordsPerMessage) keywords"

    /// The keywords among `flags` that the session set: not system flags, not the message's tags.
    private static func sessionKeywords(_ flags: some Sequence<IMAPFlag>, of message: IMAPSessionMessage) -> Set<
        IMAPFlag
    > {
        let tags = Set(message.info.keywords.map(IMAPFlag.init))
        return Set(flags.lazy.filter { !$0.name.hasPrefix("\\") && !tags.contains($0) })
    }

    /// Why adding `flags` would take the mailbox past ``maximumKeywords`` distinct keywords the session set;
    /// nil if it would not.
    private func keywordLimitRefusal(adding flags: IMAPStoreFlags, to selection: Selection) -> String? {
        guard flags.operation != .remove else { return nil }
        let added = flags.flags.filter { IMAPSessionMessage.isKeyword($0.name) }
        guard !added.isEmpty else { return nil }
        var keywords = Set<IMAPFlag>()
        var tags = Set<IMAPFlag>()
        for message in selection.messages {
            keywords.formUnion(Self.sessionKeywords(message.sessionFlags, of: message))
            tags.formUnion(message.info.keywords.map(IMAPFlag.init))
        }
        let before = keywords.count
        keywords.formUnion(added.filter { !tags.contains($0) })
        guard keywords.count > Self.maximumKeywords, keywords.count > before else { return nil }
        return "[LIMIT] A mailbox has at most \(Self.maximumKeywords) keywords"
    }

    mutating func store(tag: String, set: IMAPSequenceSet, flags: IMAPStoreFlags, byUID: Bool) -> Action {
        guard let uids = resolve(set, byUID: byUID) else { return bad(tag: tag, "invalid message sequence number") }
        guard var current = selection else { return bad(tag: tag, "no mailbox selected") }
        if current.readOnly { return no(tag, "[READ-ONLY] The mailbox is read-only", expunges: byUID) }
        guard !flags.flags.contains(.recent) else { return bad(tag: tag, "\\Recent cannot be stored") }
        if let refusal = keywordLimitRefusal(adding: flags, to: current) { return no(tag, refusal, expunges: byUID) }
        var changedRead: [String] = []
        var readValue = false
        var writer = IMAPWriter()
        for uid in uids {
            guard let index = current.index(ofUID: uid) else { continue }
            var message = current.messages[index]
            var wanted = Set(message.flags)
            switch flags.operation {
            case .replace: wanted = Set(flags.flags)
            case .add: wanted.formUnion(flags.flags)
            case .remove: wanted.subtract(flags.flags)
            }
            let isRead = wanted.contains(.seen)
            wanted.remove(.seen)
            let kept = wanted.filter { $0.name.hasPrefix("\\") || IMAPSessionMessage.isKeyword($0.name) }
            let keywords = Self.sessionKeywords(kept, of: message).count
            if keywords > Self.maximumKeywordsPerMessage
                && keywords > Self.sessionKeywords(message.sessionFlags, of: message).count
            {
                return no(tag, Self.keywordsPerMessageText, expunges: byUID)
            }
            message.sessionFlags = kept
            if isRead != message.info.isRead && !message.isGone {
                message.info.isRead = isRead
                changedRead.append(message.info.id)
                readValue = isRead
            }
            message.flagsChanged = false
            current.messages[index] = message
            if !flags.silent {
                writer.untagged("\(index + 1) FETCH (" + (byUID ? "UID \(uid) " : "") + "FLAGS \(message.flagList))")
            }
        }
        selection = current
        if !changedRead.isEmpty {
            waiting = .readFlags(tag: tag, completion: "STORE completed", output: writer.bytes)
            return Action(request: .setRead(ids: changedRead, isRead: readValue))
        }
        return complete(tag, "STORE completed", expunges: byUID, before: writer.bytes)
    }

    // MARK: - SEARCH

    var searchEvaluator: IMAPSearchEvaluator {
        IMAPSearchEvaluator(
            largestSequenceNumber: UInt32(selection?.messages.count ?? 0), largestUID: selection?.largestUID ?? 0)
    }

    mutating func search(tag: String, key: IMAPSearchKey, charset: String?, byUID: Bool) -> Action {
        if let charset, charset != "US-ASCII", charset != "UTF-8" {
            return no(tag, "[BADCHARSET (US-ASCII UTF-8)] Unsupported charset", expunges: byUID)
        }
        let all = selection?.messages.map(\.info.uid) ?? []
        let translation = IMAPSearchTranslation(key)
        let work = SearchWork(
            tag: tag, byUID: byUID, key: key, plan: translation.plan, queryCount: translation.queries.count,
            remaining: all)
        guard !translation.queries.isEmpty, !all.isEmpty, let username else { return continueSearch(work) }
        waiting = .storeSearch(work)
        return Action(request: .searchMailbox(username: username, queries: translation.queries))
    }

    /// The answer to ``Request/searchMailbox(username:queries:)``: the ids each query matched, in the
    /// order of the queries, or nil when the store could not answer (the session then reads the messages
    /// and evaluates every key itself, as it would without a store).
    public mutating func mailboxSearched(_ matches: [[String]]?) -> Action {
        guard case .storeSearch(var work) = waiting else { return .none }
        waiting = .nothing
        if let matches, matches.count == work.queryCount {
            work.storeMatches = matches.map(Set.init)
        } else {
            work.plan = .session(work.key)
        }
        return continueSearch(work)
    }

    /// Decides every message the plan can decide without its content (once), then reads the undecided ones
    /// in batches; answers when none is left.
    private mutating func continueSearch(_ work: SearchWork) -> Action {
        var work = work
        let evaluator = searchEvaluator
        if !work.screened {
            work.screened = true
            var undecided: [UInt32] = []
            for uid in work.remaining {
                guard let index = selection?.index(ofUID: uid), let current = selection?.messages[index] else {
                    continue
                }
                let cached = cache.content(for: current.info.id)
                let matched = work.plan.matches(
                    current, sequenceNumber: UInt32(index + 1), content: cached, contentLoaded: cached != nil,
                    storeMatches: work.storeMatches, evaluator: evaluator)
                switch matched {
                case true?: work.matches.append(uid)
                case false?: break
                case nil: undecided.append(uid)
                }
            }
            work.remaining = undecided
        }
        if !work.remaining.isEmpty {
            work.batch = Array(work.remaining.prefix(configuration.fetchBatchSize))
            let ids = work.batch.compactMap { message(uid: $0)?.info.id }
            waiting = .search(work)
            return Action(request: .loadMessages(ids: ids))
        }
        waiting = .nothing
        let numbers = work.matches.sorted().compactMap { uid -> String? in
            if work.byUID { return String(uid) }
            return selection?.index(ofUID: uid).map { String($0 + 1) }
        }
        return complete(
            work.tag, "SEARCH completed", expunges: work.byUID,
            before: untaggedLine((["SEARCH"] + numbers).joined(separator: " ")))
    }
}

extension IMAPFetchAttribute {
    /// Whether answering needs the message's bytes.
    var needsContent: Bool {
        switch self {
        case .uid, .flags, .internalDate, .rfc822Size: return false
        default: return true
        }
    }

    /// BODY[...] without PEEK, RFC822 and RFC822.TEXT set `\Seen` (RFC 3501 §6.4.5).
    var setsSeen: Bool {
        switch self {
        case .section(_, _, let peek): return !peek
        case .rfc822, .rfc822Text: return true
        default: return false
        }
    }
}
