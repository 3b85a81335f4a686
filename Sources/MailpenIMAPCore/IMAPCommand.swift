/// One IMAP command as the client sent it (RFC 3501 §6 and the extensions Mailpen offers), already parsed.
public struct IMAPCommand: Sendable, Hashable {
    /// The client's tag, echoed in the tagged response.
    public var tag: String
    public var kind: Kind

    public init(tag: String, kind: Kind) {
        self.tag = tag
        self.kind = kind
    }

    /// What the command asks for.
    public enum Kind: Sendable, Hashable {
        case capability
        case noop
        case logout
        case startTLS
        /// AUTHENTICATE with an optional initial response (RFC 4959, SASL-IR).
        case authenticate(mechanism: String, initialResponse: String?)
        case login(username: String, password: String)
        /// ENABLE (RFC 5161): the capability names, uppercased.
        case enable([String])
        /// ID (RFC 2971): the client's field/value pairs, nil for `ID NIL`.
        case id([IMAPIDField]?)
        case namespace
        case select(mailbox: String)
        case examine(mailbox: String)
        case create(mailbox: String)
        case delete(mailbox: String)
        case rename(from: String, to: String)
        case subscribe(mailbox: String)
        case unsubscribe(mailbox: String)
        case list(reference: String, pattern: String)
        case lsub(reference: String, pattern: String)
        case status(mailbox: String, attributes: [IMAPStatusAttribute])
        /// APPEND with its message given inline; a literal APPEND is refused before its data is sent.
        case append(mailbox: String)
        case check
        case close
        case unselect
        case expunge
        case idle
        case search(IMAPSearchKey, charset: String?, byUID: Bool)
        case fetch(IMAPSequenceSet, [IMAPFetchAttribute], byUID: Bool)
        case store(IMAPSequenceSet, IMAPStoreFlags, byUID: Bool)
        case copy(IMAPSequenceSet, mailbox: String, byUID: Bool)
        case move(IMAPSequenceSet, mailbox: String, byUID: Bool)
        /// UID EXPUNGE (RFC 4315).
        case uidExpunge(IMAPSequenceSet)
    }
}

/// One field of an ID command (RFC 2971).
public struct IMAPIDField: Sendable, Hashable {
    public var name: String
    public var value: String?

    public init(name: String, value: String?) {
        self.name = name
        self.value = value
    }
}

/// A STATUS data item (RFC 3501 §6.3.10).
public enum IMAPStatusAttribute: String, Sendable, Hashable, CaseIterable {
    case messages = "MESSAGES"
    case recent = "RECENT"
    case uidNext = "UIDNEXT"
    case uidValidity = "UIDVALIDITY"
    case unseen = "UNSEEN"
}

/// A message flag: a system flag (`\Seen`) or a keyword (`$Forwarded`), compared case-insensitively.
public struct IMAPFlag: Sendable, Hashable, CustomStringConvertible {
    /// The flag as written, e.g. `\Seen`.
    public let name: String

    public init(_ name: String) {
        // System flags are written in their canonical case so that `\SEEN` and `\Seen` are one flag.
        let canonical = Self.system.first { $0.lowercased() == name.lowercased() }
        self.name = canonical ?? name
    }

    public var description: String { name }

    public static func == (lhs: IMAPFlag, rhs: IMAPFlag) -> Bool { lhs.name.lowercased() == rhs.name.lowercased() }
    public func hash(into hasher: inout Hasher) { hasher.combine(name.lowercased()) }

    public static let seen = IMAPFlag("\\Seen")
    public static let answered = IMAPFlag("\\Answered")
    public static let flagged = IMAPFlag("\\Flagged")
    public static let deleted = IMAPFlag("\\Deleted")
    public static let draft = IMAPFlag("\\Draft")
    public static let recent = IMAPFlag("\\Recent")

    static let system = ["\\Seen", "\\Answered", "\\Flagged", "\\Deleted", "\\Draft", "\\Recent"]
}

/// The flags part of a STORE command (RFC 3501 §6.4.6).
public struct IMAPStoreFlags: Sendable, Hashable {
    public enum Operation: Sendable, Hashable {
        case replace
        case add
        case remove
    }

    public var operation: Operation
    /// `.SILENT`: no untagged FETCH for the changed messages.
    public var silent: Bool
    public var flags: [IMAPFlag]

    public init(operation: Operation, silent: Bool, flags: [IMAPFlag]) {
        self.operation = operation
        self.silent = silent
        self.flags = flags
    }
}

/// Why a command could not be parsed; answered with `BAD` and the reason.
public struct IMAPParseError: Error, Sendable, Hashable {
    public var reason: String

    init(_ reason: String) {
        self.reason = reason
    }
}
