import Synchronization

/// The inboxes POP3 sessions hold (RFC 1939 §4: a maildrop is locked for one session), by name regardless
/// of case.
final class MaildropLocks: Sendable {
    private let held = Mutex<Set<String>>([])

    /// Takes the lock; false when another session holds it.
    func lock(_ inbox: String) -> Bool {
        held.withLock { $0.insert(inbox.lowercased()).inserted }
    }

    func unlock(_ inbox: String) {
        _ = held.withLock { $0.remove(inbox.lowercased()) }
    }
}
