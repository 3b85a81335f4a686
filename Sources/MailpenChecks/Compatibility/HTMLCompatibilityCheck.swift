/// Builds the `html` check's report from a message's HTML body.
enum HTMLCompatibilityCheck {
    /// At most this many line numbers are listed per feature.
    static let maximumLines = 100

    static func report(html: String?, database: CanIEmailDatabase) -> HTMLCompatibilityReport {
        guard let html else {
            return HTMLCompatibilityReport(
                hasHTML: false,
                supportPercent: 100,
                features: [],
                source: "caniemail.com",
                sourceCommit: database.sourceCommit
            )
        }
        return self.report(document: HTMLDocument(html), database: database)
    }

    static func report(document: HTMLDocument, database: CanIEmailDatabase) -> HTMLCompatibilityReport {
        let uses = FeatureDetector.detect(in: document, database: database)
        var features: [HTMLCompatibilityReport.Feature] = []
        for (slug, use) in uses.uses {
            guard let feature = database.features[slug] else {
                continue
            }
            features.append(self.entry(feature, lines: use.lines, occurrences: use.count, database: database))
        }
        features.sort { left, right in
            let leftPercent = left.supportPercent ?? 100
            let rightPercent = right.supportPercent ?? 100
            return leftPercent != rightPercent ? leftPercent < rightPercent : left.slug < right.slug
        }
        let known = features.compactMap(\.supportPercent)
        let overall = known.isEmpty ? 100 : known.reduce(0, +) / Double(known.count)
        return HTMLCompatibilityReport(
            hasHTML: true,
            supportPercent: Self.rounded(overall),
            features: features,
            source: "caniemail.com",
            sourceCommit: database.sourceCommit
        )
    }

    private static func entry(
        _ feature: CanIEmailDatabase.Feature,
        lines: [Int],
        occurrences: Int,
        database: CanIEmailDatabase
    ) -> HTMLCompatibilityReport.Feature {
        let supported = feature.count(.supported)
        let partial = feature.count(.partial)
        let unsupported = feature.count(.unsupported)
        let known = supported + partial + unsupported
        var clients: [HTMLCompatibilityReport.Client] = []
        for client in feature.clients where client.level == .unsupported || client.level == .partial {
            clients.append(
                HTMLCompatibilityReport.Client(
                    family: client.family,
                    familyName: database.familyNames[client.family] ?? client.family,
                    platform: client.platform,
                    platformName: database.platformNames[client.platform] ?? client.platform,
                    version: client.version,
                    support: client.level,
                    notes: client.noteNumbers.compactMap { feature.notesByNumber[$0] }
                )
            )
        }
        // Unsupported before partial; otherwise the data's order (it groups by family).
        let ordered = clients.filter { $0.support == .unsupported } + clients.filter { $0.support == .partial }
        return HTMLCompatibilityReport.Feature(
            slug: feature.slug,
            title: feature.title,
            category: feature.category,
            url: "https://www.caniemail.com/features/\(feature.slug)/",
            supportPercent: known == 0 ? nil : Self.rounded(100 * Double(supported) / Double(known)),
            supported: supported,
            partial: partial,
            unsupported: unsupported,
            unknown: feature.count(.unknown),
            lines: Array(lines.prefix(Self.maximumLines)),
            occurrences: occurrences,
            notes: feature.notes,
            clients: ordered
        )
    }

    /// One decimal place.
    static func rounded(_ value: Double) -> Double {
        (value * 10).rounded() / 10
    }
}
