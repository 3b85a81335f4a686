import Foundation
import Logging
import MailpenStore
import Synchronization

/// What a ``MailboxWatcher`` tells one watch about its inbox, in order.
enum MailboxUpdate: Sendable, Hashable {
    /// The inbox as the watcher knows it now, and the UID the next message will be above; nil when the inbox
    /// does not exist or cannot be read.
    case snapshot(Mailbox?, uidNext: Int64)
    case added([MailboxMessage])
    case removed(ids: [String])
    case readChanged(id: String, isRead: Bool)
}

/// Keeps one listing of each inbox that mail clients have open, up to date from the store's change feed,
/// and tells every watch of it the same changes in the same order — with the snapshots the watches ask for
/// slotted into that order, so that no change can fall between a snapshot and the changes after it.
///
/// One task owns all state and takes one input at a time: store events, and watches starting, asking for a
/// snapshot and ending. A stored message is looked up once for all watches (by UID above the highest seen);
/// deletions and read flags come from the events themselves; a cleared or changed inbox, or a change feed
/// this watcher fell behind on, is listed afresh and compared. Events older than a listing may be applied
/// after it, but each message's last event tells its latest state, so every watch converges on the store.
final class MailboxWatcher: Sendable {
    private enum Input: Sendable {
        case event(StoreEvent)
        case feedEnded
        case watch(id: Int, inbox: String, deliver: @Sendable (MailboxUpdate) -> Void)
        case snapshot(id: Int)
        case cancel(id: Int)
        case stop
    }

    private let inputs: AsyncStream<Input>.Continuation
    private let nextID = Atomic<Int>(0)

    init(store: any MailpenStore, logger: Logger) {
        let (stream, continuation) = AsyncStream.makeStream(of: Input.self)
        inputs = continuation
        Task {
            var state = State(store: store, logger: logger, inputs: continuation)
            await state.run(stream)
        }
    }

    /// Starts a watch on `inbox`: `deliver` gets every change from now on and the snapshots asked for.
    func watch(inbox: String, deliver: @escaping @Sendable (MailboxUpdate) -> Void) -> Int {
        let id = nextID.add(1, ordering: .relaxed).newValue
        inputs.yield(.watch(id: id, inbox: inbox, deliver: deliver))
        return id
    }

    func requestSnapshot(_ id: Int) { inputs.yield(.snapshot(id: id)) }

    func cancel(_ id: Int) { inputs.yield(.cancel(id: id)) }

    /// Ends the watcher's task (the store is closing).
    func stop() { inputs.yield(.stop) }

    /// Store events queued for the task at most; past this the watcher stops listening, catches up and
    /// lists every open inbox afresh.
    static let maximumQueuedEvents = 100_000

    private struct Watched {
        var name: String
        var exists: Bool
        var uidValidity: UInt32
        var messages: [String: MailboxMessage]
        /// The highest UID this inbox has shown: new mail is looked for above it.
        var highestUID: Int64
        var watches: Set<Int>
    }

    private struct Watch {
        var inbox: String
        var deliver: @Sendable (MailboxUpdate) -> Void
    }

    /// The task's state; see the type's documentation.
    private struct State {
        let store: any MailpenStore
        let logger: Logger
        let inputs: AsyncStream<Input>.Continuation
        let queuedEvents = QueuedEvents()
        var inboxes: [String: Watched] = [:]
        var watches: [Int: Watch] = [:]
        var feed: Task<Void, Never>?

        init(store: any MailpenStore, logger: Logger, inputs: AsyncStream<Input>.Continuation) {
            self.store = store
            self.logger = logger
            self.inputs = inputs
        }

        mutating func run(_ stream: AsyncStream<Input>) async {
            await listen()
            for await input in stream {
                switch input {
                case .event(let event):
                    queuedEvents.count.subtract(1, ordering: .relaxed)
                    await apply(event)
                case .feedEnded:
                    await listen()
                    for key in inboxes.keys { await relist(key) }
                case .watch(let id, let inbox, let deliver):
                    let key = inbox.lowercased()
                    watches[id] = Watch(inbox: key, deliver: deliver)
                    if inboxes[key] == nil { await load(key, name: inbox) }
                    inboxes[key]?.watches.insert(id)
                case .snapshot(let id):
                    guard let watch = watches[id] else { continue }
                    watch.deliver(snapshot(of: watch.inbox))
                case .cancel(let id):
                    guard let watch = watches.removeValue(forKey: id) else { continue }
                    inboxes[watch.inbox]?.watches.remove(id)
                    if inboxes[watch.inbox]?.watches.isEmpty == true { inboxes[watch.inbox] = nil }
                case .stop:
                    feed?.cancel()
                    inputs.finish()
                }
            }
            feed?.cancel()
        }

        /// Subscribes to the change feed (again) and forwards its events to the task's inputs.
        mutating func listen() async {
            feed?.cancel()
            let events = await store.subscribe(bufferSize: 16_384)
            let inputs = self.inputs
            let queued = queuedEvents
            feed = Task {
                do {
                    for try await event in events {
                        let queuedNow = queued.count.add(1, ordering: .relaxed).newValue
                        guard queuedNow <= MailboxWatcher.maximumQueuedEvents else {
                            queued.count.subtract(1, ordering: .relaxed)
                            break
                        }
                        inputs.yield(.event(event))
                    }
                } catch {
                    // Fell behind: caught up below by listing every open inbox afresh.
                }
                if !Task.isCancelled { inputs.yield(.feedEnded) }
            }
        }

        func snapshot(of key: String) -> MailboxUpdate {
            guard let inbox = inboxes[key], inbox.exists else { return .snapshot(nil, uidNext: 1) }
            let messages = inbox.messages.values.sorted { $0.uid < $1.uid }
            return .snapshot(
                Mailbox(inbox: inbox.name, uidValidity: inbox.uidValidity, messages: messages),
                uidNext: inbox.highestUID + 1)
        }

        func broadcast(_ update: MailboxUpdate, in key: String) {
            guard let inbox = inboxes[key] else { return }
            for id in inbox.watches { watches[id]?.deliver(update) }
        }

        mutating func apply(_ event: StoreEvent) async {
            let key = event.inboxName.lowercased()
            guard var inbox = inboxes[key] else { return }
            switch event {
            case .stored(let summary):
                guard inbox.exists else { return await relist(key) }
                guard inbox.messages[summary.id] == nil else { return }
                await fetchNew(key)
            case .deleted(_, let ids):
                let present = ids.filter { inbox.messages.removeValue(forKey: $0) != nil }
                guard !present.isEmpty else { return }
                inboxes[key] = inbox
                broadcast(.removed(ids: present), in: key)
            case .updated(let summary):
                guard var message = inbox.messages[summary.id], message.isRead != summary.isRead else { return }
                message.isRead = summary.isRead
                inbox.messages[summary.id] = message
                inboxes[key] = inbox
                broadcast(.readChanged(id: summary.id, isRead: summary.isRead), in: key)
            case .cleared, .inbox:
                await relist(key)
            }
        }

        /// Starts following an inbox: its first listing.
        mutating func load(_ key: String, name: String) async {
            var inbox = Watched(
                name: name, exists: false, uidValidity: 1, messages: [:], highestUID: 0, watches: [])
            do {
                if let mailbox = try await store.mailbox(named: name, afterUID: 0) {
                    inbox.name = mailbox.inbox
                    inbox.exists = true
                    inbox.uidValidity = mailbox.uidValidity
                    for message in mailbox.messages { inbox.messages[message.id] = message }
                    inbox.highestUID = mailbox.messages.last?.uid ?? 0
                }
            } catch {
                logger.error("could not list inbox \(name) for a mail client: \(error)")
            }
            inboxes[key] = inbox
        }

        /// Looks up the inbox's messages above the highest UID seen and announces them.
        mutating func fetchNew(_ key: String) async {
            guard let inbox = inboxes[key] else { return }
            let mailbox: Mailbox?
            do {
                mailbox = try await store.mailbox(named: inbox.name, afterUID: inbox.highestUID)
            } catch {
                logger.error("could not read new mail of \(inbox.name) for mail clients: \(error)")
                return
            }
            guard let mailbox, mailbox.uidValidity == inbox.uidValidity else {
                await relist(key)
                return
            }
            guard var current = inboxes[key] else { return }
            let added = mailbox.messages.filter { $0.uid > current.highestUID && current.messages[$0.id] == nil }
            guard !added.isEmpty else { return }
            for message in added { current.messages[message.id] = message }
            current.highestUID = max(current.highestUID, added.last?.uid ?? 0)
            inboxes[key] = current
            broadcast(.added(added), in: key)
        }

        /// Lists the inbox afresh and announces how it differs from what the watches were told.
        mutating func relist(_ key: String) async {
            guard let inbox = inboxes[key] else { return }
            let mailbox: Mailbox?
            do {
                mailbox = try await store.mailbox(named: inbox.name, afterUID: 0)
            } catch {
                logger.error("could not list inbox \(inbox.name) for mail clients: \(error)")
                return
            }
            guard var current = inboxes[key] else { return }
            let fresh = mailbox?.messages ?? []
            let freshIDs = Set(fresh.map(\.id))
            let removed = current.messages.keys.filter { !freshIDs.contains($0) }.sorted()
            var added: [MailboxMessage] = []
            var readChanges: [(String, Bool)] = []
            for message in fresh {
                if let known = current.messages[message.id] {
                    if known.isRead != message.isRead { readChanges.append((message.id, message.isRead)) }
                } else if message.uid > current.highestUID {
                    added.append(message)
                }
            }
            for id in removed { current.messages[id] = nil }
            for message in added { current.messages[message.id] = message }
            for (id, isRead) in readChanges { current.messages[id]?.isRead = isRead }
            current.highestUID = max(current.highestUID, added.last?.uid ?? 0)
            current.exists = mailbox != nil
            if let mailbox {
                current.name = mailbox.inbox
                current.uidValidity = mailbox.uidValidity
            }
            inboxes[key] = current
            if !removed.isEmpty { broadcast(.removed(ids: removed), in: key) }
            if !added.isEmpty { broadcast(.added(added), in: key) }
            for (id, isRead) in readChanges { broadcast(.readChanged(id: id, isRead: isRead), in: key) }
        }
    }

    /// Store events forwarded to the task and not yet taken.
    private final class QueuedEvents: Sendable {
        let count = Atomic<Int>(0)
    }
}
