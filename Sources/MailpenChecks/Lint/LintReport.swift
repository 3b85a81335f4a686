/// The `lint` check's result: deliverability and RFC problems a receiving server would
/// punish, most severe first.
public struct LintReport: Sendable, Codable, Equatable {
    public var findings: [LintFinding]
    /// Number of findings of each severity.
    public var errors: Int
    public var warnings: Int
    public var infos: Int

    public init(findings: [LintFinding]) {
        self.findings = findings
        self.errors = findings.filter { $0.severity == .error }.count
        self.warnings = findings.filter { $0.severity == .warning }.count
        self.infos = findings.filter { $0.severity == .info }.count
    }
}

/// How much a lint finding matters.
public enum LintSeverity: String, Sendable, Codable, Comparable {
    /// Receivers reject or badly mangle such mail.
    case error
    /// Receivers may penalize it, or some clients show it wrongly.
    case warning
    /// Worth knowing; usually harmless.
    case info

    private var rank: Int {
        switch self {
        case .error: return 0
        case .warning: return 1
        case .info: return 2
        }
    }

    public static func < (left: LintSeverity, right: LintSeverity) -> Bool {
        left.rank < right.rank
    }
}

/// One problem found by the lint.
public struct LintFinding: Sendable, Codable, Equatable {
    /// Stable kebab-case rule id, e.g. `missing-date`.
    public var id: String
    public var severity: LintSeverity
    /// What is wrong and why it matters, for a person.
    public var message: String
    /// Where, for a person: `header Date`, `part 1.2 (text/html)`, `line 42`, `envelope`.
    public var location: String
    /// The 1-based line of the raw message, when the finding has one.
    public var line: Int?
    /// The MIME part id (JSON `partId`), when the finding is about one part.
    public var partID: String?

    private enum CodingKeys: String, CodingKey {
        case id, severity, message, location, line
        case partID = "partId"
    }

    public init(
        id: String,
        severity: LintSeverity,
        message: String,
        location: String,
        line: Int? = nil,
        partID: String? = nil
    ) {
        self.id = id
        self.severity = severity
        self.message = message
        self.location = location
        self.line = line
        self.partID = partID
    }
}
