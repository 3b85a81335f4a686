/// The `html` check's result: how well email clients support what the HTML uses,
/// according to caniemail.com.
///
/// `supportPercent` of a feature is the share of client/platform pairs (each at its
/// latest tested version) that fully support it, among those with a known result;
/// the report's `supportPercent` is the mean over the features found (100 when none).
public struct HTMLCompatibilityReport: Sendable, Codable, Equatable {
    /// False when the message has no HTML body (then `features` is empty).
    public var hasHTML: Bool
    public var supportPercent: Double
    /// Features found, least supported first.
    public var features: [Feature]
    /// Where the data comes from: `caniemail.com` and the commit of its data.
    public var source: String
    public var sourceCommit: String?

    /// One feature the HTML uses.
    public struct Feature: Sendable, Codable, Equatable {
        /// caniemail.com's slug, e.g. `css-display-flex`.
        public var slug: String
        public var title: String
        /// `html`, `css`, `image` or `others`.
        public var category: String
        /// The feature's page on caniemail.com.
        public var url: String
        /// Full support among clients with a known result, 0–100 (one decimal); nil when none is known.
        public var supportPercent: Double?
        public var supported: Int
        public var partial: Int
        public var unsupported: Int
        public var unknown: Int
        /// Lines of the HTML body where it is used (distinct, ascending, at most 100).
        public var lines: [Int]
        /// How many times it is used.
        public var occurrences: Int
        /// caniemail's general note on the feature, if any.
        public var notes: String?
        /// The clients without full support (unsupported first), with their notes.
        public var clients: [Client]
    }

    /// One email client (family on a platform) at its latest tested version.
    public struct Client: Sendable, Codable, Equatable {
        /// e.g. `outlook`.
        public var family: String
        /// e.g. `Outlook`.
        public var familyName: String
        /// e.g. `windows`.
        public var platform: String
        /// e.g. `Windows`.
        public var platformName: String
        /// The latest version tested, e.g. `2019`.
        public var version: String
        public var support: CanIEmailDatabase.SupportLevel
        /// The notes caniemail.com attaches to this result.
        public var notes: [String]
    }
}
