import MailpenMIME

/// How the session answers a SEARCH: keys that need the message's content and have an equivalent in
/// Mailpen's search grammar become store queries (answered from the store's indexes, without reading a
/// message), the rest stay with the session, which knows them exactly (sequence numbers, UIDs, flags) or
/// must read the message for them (SENT* dates, HEADER on fields the index skips).
///
/// A conjunction (the keys of a SEARCH, or a parenthesised list) becomes at most one store query: its
/// translatable keys joined as the grammar's terms. The grammar has no OR, so OR and NOT over several keys
/// stay in the plan and combine the matches of their branches' queries.
indirect enum IMAPSearchPlan: Sendable, Hashable {
    /// A key the session evaluates.
    case session(IMAPSearchKey)
    /// The messages the store query at this index of ``IMAPSearchTranslation/queries`` matched.
    case store(Int)
    case and([IMAPSearchPlan])
    case or(IMAPSearchPlan, IMAPSearchPlan)
    case not(IMAPSearchPlan)

    /// Whether the plan matches a message: nil when that takes the message's content and `content` is nil.
    /// AND, OR and NOT follow three-valued logic, so a message ruled out by its flags, dates or store
    /// matches is never read.
    func matches(
        _ message: IMAPSessionMessage, sequenceNumber: UInt32, content: IMAPMessageContent?, contentLoaded: Bool,
        storeMatches: [Set<String>], evaluator: IMAPSearchEvaluator
    ) -> Bool? {
        func evaluate(_ plan: IMAPSearchPlan) -> Bool? {
            switch plan {
            case .session(let key):
                if key.needsContent && !contentLoaded { return nil }
                return evaluator.matches(key, message: message, sequenceNumber: sequenceNumber, content: content)
            case .store(let index):
                return index < storeMatches.count && storeMatches[index].contains(message.info.id)
            case .and(let plans):
                var unknown = false
                for plan in plans {
                    switch evaluate(plan) {
                    case false?: return false
                    case nil: unknown = true
                    case true?: continue
                    }
                }
                return unknown ? nil : true
            case .or(let first, let second):
                let a = evaluate(first)
                if a == true { return true }
                let b = evaluate(second)
                if b == true { return true }
                return a == nil || b == nil ? nil : false
            case .not(let inner):
                return evaluate(inner).map { !$0 }
            }
        }
        return evaluate(self)
    }
}

/// A SEARCH key split into store queries, written in the search grammar, and the plan that combines their
/// matches with what the session evaluates itself.
struct IMAPSearchTranslation: Sendable, Hashable {
    var queries: [String]
    var plan: IMAPSearchPlan

    /// The most store queries one SEARCH makes (one per conjunction; OR branches make more); keys past
    /// that stay with the session.
    static let maximumQueries = 16
    /// The most terms one query has: the grammar takes 64.
    static let maximumTerms = 64

    /// The plan for `key`. A key that needs no message content is left to the session whole: it is
    /// answered from the session's own view at no cost, and exactly as FETCH shows it.
    init(_ key: IMAPSearchKey) {
        queries = []
        plan = .session(key)
        guard key.needsContent else { return }
        plan = conjunction(Self.conjuncts(of: key))
    }

    /// The keys of nested ANDs, flattened.
    private static func conjuncts(of key: IMAPSearchKey) -> [IMAPSearchKey] {
        if case .and(let keys) = key { return keys.flatMap(conjuncts(of:)) }
        return [key]
    }

    /// One query of the translatable keys (when one of them needs content: a query of only dates and sizes
    /// would answer what the session knows), and plans for the others.
    private mutating func conjunction(_ keys: [IMAPSearchKey]) -> IMAPSearchPlan {
        var terms: [String] = []
        var translated: [IMAPSearchKey] = []
        var others: [IMAPSearchKey] = []
        for key in keys {
            if let written = Self.terms(for: key), terms.count + written.count <= Self.maximumTerms {
                terms += written
                translated.append(key)
            } else {
                others.append(key)
            }
        }
        var plans: [IMAPSearchPlan] = []
        if translated.contains(where: \.needsContent), queries.count < Self.maximumQueries {
            queries.append(terms.joined(separator: " "))
            plans.append(.store(queries.count - 1))
        } else {
            others = translated + others
        }
        for key in others { plans.append(subplan(key)) }
        return plans.count == 1 ? plans[0] : .and(plans)
    }

    /// The plan for a key the conjunction could not take as a term.
    private mutating func subplan(_ key: IMAPSearchKey) -> IMAPSearchPlan {
        guard key.needsContent else { return .session(key) }
        switch key {
        case .or(let first, let second):
            return .or(conjunction(Self.conjuncts(of: first)), conjunction(Self.conjuncts(of: second)))
        case .not(let inner):
            return .not(conjunction(Self.conjuncts(of: inner)))
        case .and(let keys):
            return conjunction(keys.flatMap(Self.conjuncts(of:)))
        default:
            return .session(key)
        }
    }

    /// The grammar's terms for a key, or nil when it has none. Flags stay with the session: its view is
    /// what FETCH FLAGS shows, and another session's change may reach the store before it reaches this one.
    static func terms(for key: IMAPSearchKey) -> [String]? {
        switch key {
        case .header(let name, let text):
            let name = name.lowercased()
            switch name {
            case "from", "to", "cc", "bcc", "subject":
                return IMAPSearchGrammar.field(name, text).map { [$0] }
            default:
                // The index skips a few machine-made fields, and `=` would end the name early.
                guard !name.isEmpty, !skippedHeaders.contains(name),
                    !name.unicodeScalars.contains(where: { $0 == "=" || $0.value < 0x21 || $0.value == 0x7F })
                else { return nil }
                return ["header:" + SearchValueQuoting.quoted(text.isEmpty ? name : name + "=" + text)]
            }
        case .body(let text), .text(let text):
            return IMAPSearchGrammar.word(text).map { [$0] }
        case .received(let comparison, let date):
            guard date.isWritableInSearchGrammar else { return nil }
            let day = IMAPSearchGrammar.day(date)
            switch comparison {
            case .before: return ["before:" + day]
            case .since: return ["after:" + day]
            case .on: return ["after:" + day] + (date.nextDay.map { ["before:" + IMAPSearchGrammar.day($0)] } ?? [])
            }
        case .larger(let size):
            return ["larger:\(size)"]
        case .smaller(let size):
            return ["smaller:\(size)"]
        case .not(.not(let inner)):
            return terms(for: inner)
        case .not(let inner):
            // A negated term is one term; ON's two terms cannot be negated as one.
            guard let inner = terms(for: inner), inner.count == 1 else { return nil }
            return ["-" + inner[0]]
        default:
            return nil
        }
    }

    /// Header fields the store's index leaves out (long, machine-made); HEADER on them reads the messages.
    static let skippedHeaders: Set<String> = [
        "received", "dkim-signature", "arc-seal", "arc-message-signature", "arc-authentication-results",
        "x-google-dkim-signature", "x-gm-message-state", "x-received", "authentication-results",
    ]
}
