import Synchronization

/// Memoizes the expensive, lazily computed views of a `MIMEMessage` (decoded bodies,
/// HTML-to-text, snippet) so repeated reads by the store, API and checks decode once.
/// A reference type behind a mutex keeps `MIMEMessage` a Sendable value.
final class ViewCache: Sendable {
    struct State {
        var textBody: String??
        var htmlBody: String??
        var htmlText: String?
        var snippet: String?
        var searchableText: String?
    }

    private let state = Mutex(State())

    /// Returns the cached value read by `read`, or computes it with `make` (outside
    /// the lock) and stores it with `write`.
    func value<T: Sendable>(
        read: (borrowing State) -> T?,
        write: (inout State, T) -> Void,
        make: () -> T
    ) -> T {
        if let cached = self.state.withLock({ read($0) }) {
            return cached
        }
        let value = make()
        self.state.withLock { write(&$0, value) }
        return value
    }
}
