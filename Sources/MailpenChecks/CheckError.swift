/// Why a check could not run (as opposed to what it found).
///
/// The HTTP layer maps `spamdUnavailable` to 502 and the rest to 500.
public enum CheckError: Error, Sendable, Equatable, CustomStringConvertible {
    /// A bundled data file is missing or unreadable.
    case invalidResource(String)
    /// spamd could not be reached, timed out, or answered something unusable.
    case spamdUnavailable(String)
    /// The message is larger than spamd is sent (``SpamdConfiguration/maximumMessageBytes``).
    case tooLargeForSpamd(String)

    public var description: String {
        switch self {
        case .invalidResource(let reason):
            return reason
        case .spamdUnavailable(let reason), .tooLargeForSpamd(let reason):
            return reason
        }
    }
}
