/// One session's envelope as the chaos rules read it, kept from stage to stage. Each address is lower-cased
/// once, and what a term found among the recipients is remembered: a session that gives N recipients costs
/// the rules N checks of each term, not N checks at each of its N stages.
public struct ChaosEnvelope: Sendable {
    /// MAIL FROM lower-cased, `nil` before it.
    public private(set) var mailFrom: String?
    /// The recipients lower-cased, in order.
    public private(set) var recipients: [String] = []
    /// For the caller's own per-recipient work (the inbox the recipients route to): how far it got, reset
    /// with the recipients.
    public var routing = Routing()

    /// MAIL FROM and the recipients as the session gave them, to tell what changed since the last stage.
    private var givenMailFrom: String?
    private var given: [String] = []
    /// Per term value: how many recipients were looked at, and whether one of them contained it.
    private var found: [String: (checked: Int, found: Bool)] = [:]

    /// The caller's progress through the recipients for their inbox: ``ChaosEnvelope/routing``.
    public struct Routing: Sendable, Hashable {
        /// Which set of routes the progress was made against.
        public var revision = 0
        /// How many recipients were looked at.
        public var checked = 0
        /// The first route (in the routes' order) one of them matched.
        public var firstRoute: Int?

        public init() {}
    }

    public init() {}

    /// An envelope read afresh.
    public init(mailFrom: String?, recipients: [String]) {
        update(mailFrom: mailFrom, recipients: recipients)
    }

    /// Takes the envelope of the session's current stage. Recipients it had at the last stage keep what was
    /// found in them; a new transaction (other or fewer recipients) starts over.
    public mutating func update(mailFrom: String?, recipients newRecipients: [String]) {
        if mailFrom != givenMailFrom {
            givenMailFrom = mailFrom
            self.mailFrom = mailFrom?.lowercased()
        }
        var kept = 0
        let shared = min(given.count, newRecipients.count)
        while kept < shared && given[kept] == newRecipients[kept] { kept += 1 }
        if kept < given.count {
            given.removeAll()
            recipients.removeAll()
            found = [:]
            routing = Routing()
            kept = 0
        }
        for address in newRecipients[kept...] {
            given.append(address)
            recipients.append(address.lowercased())
        }
    }

    /// Whether one of the recipients contains `value` (already lower-cased): only recipients new since the
    /// last time `value` was asked about are looked at.
    public mutating func recipientsContain(_ value: String) -> Bool {
        var entry = found[value] ?? (0, false)
        while !entry.found && entry.checked < recipients.count {
            entry.found = recipients[entry.checked].contains(value)
            entry.checked += 1
        }
        found[value] = entry
        return entry.found
    }
}
