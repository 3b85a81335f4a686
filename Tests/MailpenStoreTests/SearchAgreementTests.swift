import Foundation
import MailpenTestSupport
import PostgresNIO
import Testing

@testable import MailpenPostgres
@testable import MailpenStore

@Suite("Search: both backends agree", .enabled(if: StoreBackend.postgresURL != nil, "\(StoreBackend.skipNote)"))
struct SearchAgreementTests {
    /// Text where tokenizers differ: accents, ligatures, other scripts, addresses, URLs, numbers, hyphens.
    static let bodies = [
        "Café crème brûlée at the naïve coöperative",
        "CAFE CREME without accents, and cafeteria",
        "Ærøskøbing Straße Œuvre ﬁle ligature",
        "Σοφία και ΣΟΦΙΑ; Привет мир; שָׁלוֹם",
        "東京タワー and 北京 with ｆｕｌｌｗｉｄｔｈ letters",
        "first.last+tag@exämple.com wrote https://example.com/a-b_c?x=1",
        "Meet at 10:30, room 4B; déjà-vu and e\u{301}te\u{301} combining",
        "password reset now, reset-password link, passwords",
        "tab\tseparated\u{00A0}nbsp and under_score and O'Brien's",
        // A word longer than a vector or a word set holds: no vector, and a set that keeps its beginning.
        "supercalifragilistic" + String(repeating: "x", count: 1200) + " ends here",
    ]

    static let longWord = "supercalifragilistic" + String(repeating: "x", count: 1200)

    static let queries = [
        "cafe", "café", "CAFÉ", "caf", "creme", "brulee", "naive", "cooperative", "coop",
        "\"cafe creme\"", "\"creme brulee\"", "\"brulee creme\"", "aeroskobing", "ærøskøbing", "straße", "strasse",
        "œuvre", "oeuvre", "file", "ﬁle", "σοφια", "σοφία", "ΣΟΦΊΑ", "привет", "שלום", "東京", "東京タワー", "ｆｕｌｌ",
        "full", "first.last", "exämple", "example", "tag@exämple.com", "https://example.com", "a-b", "10:30", "4b",
        "deja", "deja-vu", "\"deja vu\"", "ete", "été", "password", "\"password reset\"", "\"reset password\"",
        "passwords", "pass", "separated", "nbsp", "under_score", "under", "o'brien", "brien", "-cafe", "cafe -creme",
        "\"\"\"", "e\u{301}", "ø",
        // Several words and phrases that must all match (one `tsquery` on PostgreSQL).
        "cafe creme", "creme cafe brulee", "\"cafe creme\" cafeteria", "\"password reset\" passwords",
        "password \"reset password\"", "full letters", "cafe zzzabsent", "cafe -brulee creme", "first.last example",
        // The long word: by a prefix, whole, with its neighbour, and negated.
        "supercali", longWord, "\"\(longWord) ends\"", "-supercali", "ends -supercali",
    ]

    @Test("word and phrase queries give the same messages on SQLite and PostgreSQL")
    func agree() async throws {
        try await expectAgreement(bodies: Self.bodies)
    }

    /// Messages too large for a word vector are searched in their word sets and token texts on PostgreSQL:
    /// the same answers, and the word set never hides a match (a word's prefix, a phrase's words).
    @Test("the same for messages too large for a word vector")
    func agreeBeyondTheVector() async throws {
        let filler = String(repeating: " zzzfill", count: 16_400)
        try await expectAgreement(bodies: Self.bodies.map { $0 + filler })
    }

    private func expectAgreement(bodies: [String]) async throws {
        var answers: [StoreBackend: [String: Set<Int>]] = [:]
        for backend in StoreBackend.allCases {
            try await withStore(on: backend) { store in
                let summaries = try await storeSearchable(
                    bodies.enumerated().map { incoming("Subject: note \($0.offset)\r\n\r\n\($0.element)\r\n") },
                    in: store)
                let indexByID = Dictionary(
                    uniqueKeysWithValues: summaries.enumerated().map { ($0.element.id, $0.offset) })
                var found: [String: Set<Int>] = [:]
                for text in Self.queries {
                    guard let search = try? SearchQuery(parsing: text) else { continue }
                    let page = try await store.messages(MessageQuery(inbox: "default", search: search), limit: 100)
                    found[text] = Set(page.messages.compactMap { indexByID[$0.id] })
                }
                answers[backend] = found
            }
        }
        let sqlite = try #require(answers[.sqlite])
        let postgres = try #require(answers[.postgres])
        for text in Self.queries where sqlite[text] != nil {
            #expect(postgres[text] == sqlite[text], "query \(text)")
        }
        // Not vacuous: accent folding and prefixes find something.
        #expect(sqlite["cafe"] == [0, 1])
        #expect(sqlite["naive"] == [0])
        #expect(sqlite["supercali"] == [9])
    }
}
