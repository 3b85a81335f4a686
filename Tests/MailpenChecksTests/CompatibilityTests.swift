import Testing

@testable import MailpenChecks

@Suite("HTML compatibility")
struct CompatibilityTests {
    /// `slug line…` (exact lines) and `!slug` (absent) from a `.expected` file.
    private struct Expectation {
        var present: [String: [Int]] = [:]
        var absent: [String] = []

        init(_ text: String) {
            for line in text.split(separator: "\n") where !line.hasPrefix("#") {
                let words = line.split(separator: " ")
                guard let slug = words.first else {
                    continue
                }
                if slug.hasPrefix("!") {
                    self.absent.append(String(slug.dropFirst()))
                } else {
                    self.present[String(slug)] = words.dropFirst().compactMap { Int($0) }
                }
            }
        }
    }

    @Test(arguments: ["modern-css", "email-table"])
    func handWrittenFixtures(_ name: String) throws {
        let html = try TestSupport.fixtureText("html/\(name).html")
        let expectation = Expectation(try TestSupport.fixtureText("html/\(name).expected"))
        let report = HTMLCompatibilityCheck.report(html: html, database: TestSupport.database)
        let found = Dictionary(uniqueKeysWithValues: report.features.map { ($0.slug, $0.lines) })
        for (slug, lines) in expectation.present.sorted(by: { $0.key < $1.key }) {
            #expect(found[slug] == lines, "\(name): \(slug)")
        }
        for slug in expectation.absent {
            #expect(found[slug] == nil, "\(name): \(slug) should not be reported")
        }
    }

    @Test func featureEntriesCarryClientsNotesAndPercentages() throws {
        let report = HTMLCompatibilityCheck.report(
            html: "<div style=\"display:flex\">x</div>",
            database: TestSupport.database
        )
        let flex = try #require(report.features.first { $0.slug == "css-display-flex" })
        #expect(flex.title == "display:flex")
        #expect(flex.category == "css")
        #expect(flex.url == "https://www.caniemail.com/features/css-display-flex/")
        let known = flex.supported + flex.partial + flex.unsupported
        #expect(known > 0)
        #expect(flex.supportPercent == HTMLCompatibilityCheck.rounded(100 * Double(flex.supported) / Double(known)))
        #expect(flex.clients.count == flex.partial + flex.unsupported)
        // Outlook on Windows (Word engine) does not support flexbox.
        let outlook = try #require(flex.clients.first { $0.family == "outlook" && $0.platform == "windows" })
        #expect(outlook.familyName == "Outlook" && outlook.platformName == "Windows")
        #expect(outlook.support == .unsupported)
        // Unsupported clients come before partial ones.
        let levels = flex.clients.map(\.support)
        #expect(levels == levels.filter { $0 == .unsupported } + levels.filter { $0 == .partial })
        // The overall figure is the mean over features.
        let percents = report.features.compactMap(\.supportPercent)
        #expect(report.supportPercent == HTMLCompatibilityCheck.rounded(percents.reduce(0, +) / Double(percents.count)))
        // Least supported first.
        #expect(percents == percents.sorted())
    }

    @Test func latestVersionIsTheLastListedNotTheHighestLabel() throws {
        // Outlook for macOS lists 2011, 2016, then 16.80: 16.80 is the latest.
        let feature = try #require(TestSupport.database.features["html-style"])
        let mac = try #require(feature.clients.first { $0.family == "outlook" && $0.platform == "macos" })
        #expect(mac.version == "16.80")
    }

    @Test func partialSupportKeepsItsNotes() {
        let (level, notes) = CanIEmailDatabase.parseSupport("a #1 #3")
        #expect(level == .partial && notes == ["1", "3"])
        #expect(CanIEmailDatabase.parseSupport("y").0 == .supported)
        #expect(CanIEmailDatabase.parseSupport("u").0 == .unknown)
        let report = HTMLCompatibilityCheck.report(
            html: "<style>@media (prefers-color-scheme: dark) { p { color: #fff } }</style>",
            database: TestSupport.database
        )
        let darkMode = report.features.first { $0.slug == "css-at-media-prefers-color-scheme" }
        #expect(darkMode?.clients.contains { !$0.notes.isEmpty } == true)
    }

    @Test func noHTMLMeansFullSupportAndNoFeatures() throws {
        let context = TestSupport.context(TestSupport.raw(TestSupport.headers(), body: "plain text"))
        let report = try TestSupport.checks.html(context)
        #expect(!report.hasHTML && report.features.isEmpty && report.supportPercent == 100)
    }

    @Test func bundledResourceLoads() throws {
        let bundled = try CanIEmailDatabase.bundled()
        #expect(bundled.features.count == TestSupport.database.features.count)
        #expect(bundled.sourceCommit == "6b086a3483a92078ba5226626e13db6f0a95a113")
    }

    @Test func newsletterFixtureFindsTheUsualSuspects() throws {
        let context = TestSupport.context(try TestSupport.fixtureBytes("messages/newsletter-100k.eml"))
        let report = try TestSupport.checks.html(context)
        let slugs = Set(report.features.map(\.slug))
        for slug in [
            "css-at-media", "css-at-media-prefers-color-scheme", "css-important", "css-pseudo-class-hover",
            "css-selector-attribute", "html-meta-color-scheme", "css-display-none", "css-border-radius", "html-table",
            "image-jpg", "image-png", "image-gif", "html-comments", "css-selector-adjacent-sibling",
        ] {
            #expect(slugs.contains(slug), "\(slug)")
        }
        #expect(report.supportPercent > 0 && report.supportPercent < 100)
    }
}
