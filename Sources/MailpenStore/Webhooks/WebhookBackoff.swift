/// A webhook's backoff as the API writes it: a whole number with a unit, `100ms`, `10s`, `5m` or `1h`.
public enum WebhookBackoff {
    /// Milliseconds for `text`, or `nil` when it is not a number with a unit (or is too large to count).
    public static func milliseconds(_ text: String) -> Int? {
        let units: [(suffix: String, factor: Int)] = [("ms", 1), ("s", 1000), ("m", 60_000), ("h", 3_600_000)]
        // "ms" is tried before "s", so that "100ms" is not read as "100m" and an "s".
        for (suffix, factor) in units where text.hasSuffix(suffix) {
            let digits = text.dropLast(suffix.count)
            guard !digits.isEmpty, digits.count <= 12, digits.allSatisfy({ $0.isASCII && $0.isNumber }),
                let number = Int(digits)
            else { return nil }
            let (product, overflow) = number.multipliedReportingOverflow(by: factor)
            return overflow ? nil : product
        }
        return nil
    }

    /// The shortest way to write `milliseconds` with one unit.
    public static func text(_ milliseconds: Int) -> String {
        for (suffix, factor) in [("h", 3_600_000), ("m", 60_000), ("s", 1000)]
        where milliseconds > 0 && milliseconds % factor == 0 {
            return "\(milliseconds / factor)\(suffix)"
        }
        return "\(milliseconds)ms"
    }
}
