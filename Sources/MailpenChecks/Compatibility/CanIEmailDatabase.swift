import Foundation

/// The caniemail.com feature data (MIT, see `Resources/caniemail.LICENSE`), indexed by
/// feature slug, with each client's latest tested support already resolved.
///
/// The JSON is about 1 MB, so it is read once per process (`bundled()`) and shared.
public struct CanIEmailDatabase: Sendable {
    /// How well one client supports a feature in its latest tested version.
    public enum SupportLevel: String, Sendable, Codable {
        case supported
        case partial
        case unsupported
        case unknown
    }

    /// One client (family + platform) and its latest tested support of a feature.
    struct ClientSupport: Sendable {
        var family: String
        var platform: String
        var version: String
        var level: SupportLevel
        /// The note numbers the result refers to (`"a #1 #3"` → `["1", "3"]`).
        var noteNumbers: [String]
    }

    /// One feature with its clients.
    struct Feature: Sendable {
        var slug: String
        var title: String
        var category: String
        var notes: String?
        var notesByNumber: [String: String]
        var clients: [ClientSupport]

        func count(_ level: SupportLevel) -> Int {
            self.clients.reduce(0) { $0 + ($1.level == level ? 1 : 0) }
        }
    }

    let features: [String: Feature]
    let familyNames: [String: String]
    let platformNames: [String: String]
    /// The caniemail repository commit the data was exported from, when known.
    public let sourceCommit: String?

    /// Reads the data from caniemail's `api.json` format.
    public init(json bytes: [UInt8]) throws {
        let root: OrderedJSON
        do {
            root = try OrderedJSON.parse(bytes)
        } catch {
            throw CheckError.invalidResource("caniemail.json: \(error)")
        }
        var features: [String: Feature] = [:]
        for entry in root["data"]?.elements ?? [] {
            guard let slug = entry["slug"]?.stringValue else {
                continue
            }
            var notesByNumber: [String: String] = [:]
            for (number, note) in entry["notes_by_num"]?.members ?? [] {
                notesByNumber[number] = note.stringValue
            }
            features[slug] = Feature(
                slug: slug,
                title: entry["title"]?.stringValue ?? slug,
                category: entry["category"]?.stringValue ?? "others",
                notes: entry["notes"]?.stringValue,
                notesByNumber: notesByNumber,
                clients: Self.latestSupport(entry["stats"])
            )
        }
        guard !features.isEmpty else {
            throw CheckError.invalidResource("caniemail.json has no features")
        }
        self.features = features
        self.familyNames = Self.names(root["nicenames"]?["family"])
        self.platformNames = Self.names(root["nicenames"]?["platform"])
        self.sourceCommit = root["source_commit"]?.stringValue
    }

    /// Reads the data from a file.
    public init(contentsOf url: URL) throws {
        let data: Data
        do {
            data = try Data(contentsOf: url)
        } catch {
            throw CheckError.invalidResource("cannot read \(url.path): \(error)")
        }
        try self.init(json: Array(data))
    }

    /// The copy shipped with MailpenChecks (a SwiftPM resource), loaded on first use.
    ///
    /// `MAILPEN_CANIEMAIL=/path/caniemail.json` overrides it, for a binary installed without
    /// its resource bundle; a missing file is an error, never a trap.
    public static func bundled() throws -> CanIEmailDatabase {
        try self.bundledResult.get()
    }

    private static let bundledResult: Result<CanIEmailDatabase, any Error> = Result {
        try CanIEmailDatabase(contentsOf: try Self.bundledURL())
    }

    private static func bundledURL() throws -> URL {
        if let path = ProcessInfo.processInfo.environment["MAILPEN_CANIEMAIL"], !path.isEmpty {
            return URL(fileURLWithPath: path)
        }
        let directory = Bundle.main.bundleURL
        #if SWIFT_PACKAGE
            // `Bundle.module` traps when its bundle is missing, so look for it first.
            let entries = (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []
            if entries.contains(where: {
                $0.hasSuffix("_MailpenChecks.resources") || $0.hasSuffix("_MailpenChecks.bundle")
            }
            ),
                let url = Bundle.module.url(forResource: "caniemail", withExtension: "json")
            {
                return url
            }
        #endif
        throw CheckError.invalidResource(
            "caniemail.json not found: no MailpenChecks resource bundle next to \(directory.path); "
                + "set MAILPEN_CANIEMAIL to the file"
        )
    }

    /// True when the data has a feature with this slug.
    func contains(_ slug: String) -> Bool {
        self.features[slug] != nil
    }

    private static func names(_ value: OrderedJSON?) -> [String: String] {
        var names: [String: String] = [:]
        for (key, name) in value?.members ?? [] {
            names[key] = name.stringValue
        }
        return names
    }

    /// For each family and platform, the last version listed (the data lists them in test order).
    private static func latestSupport(_ stats: OrderedJSON?) -> [ClientSupport] {
        var clients: [ClientSupport] = []
        for (family, platforms) in stats?.members ?? [] {
            for (platform, versions) in platforms.members {
                guard let (version, result) = versions.members.last, let text = result.stringValue else {
                    continue
                }
                let (level, notes) = Self.parseSupport(text)
                clients.append(
                    ClientSupport(
                        family: family,
                        platform: platform,
                        version: version,
                        level: level,
                        noteNumbers: notes
                    )
                )
            }
        }
        return clients
    }

    /// `"a #1 #2"` → (.partial, ["1", "2"]).
    static func parseSupport(_ text: String) -> (SupportLevel, [String]) {
        let words = text.split(separator: " ")
        let level: SupportLevel
        switch words.first {
        case "y": level = .supported
        case "a": level = .partial
        case "n": level = .unsupported
        default: level = .unknown
        }
        let notes = words.dropFirst().compactMap { word in word.hasPrefix("#") ? String(word.dropFirst()) : nil }
        return (level, notes)
    }
}
