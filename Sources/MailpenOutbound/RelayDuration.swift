/// The durations relay settings are written in (`30s`, `5m`, `1h30m`, `2d`, `500ms`; a bare number is
/// seconds), shared by relay URLs and relay files.
public enum RelayDuration {
    /// The duration, or `nil` if `text` is malformed, zero or longer than 30 days.
    public static func parse(_ text: String) -> Duration? {
        RelayTarget.parseDuration(text)
    }

    /// `text` percent-encoded for a relay URL's user, password or parameter value.
    public static func percentEncoded(_ text: String) -> String {
        text.addingURLPercentEncoding()
    }
}
