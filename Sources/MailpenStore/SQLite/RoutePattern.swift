import GRDB

/// A recipient pattern that routes unauthenticated mail to an inbox: `*` matches any run of characters,
/// `?` any one character, everything else itself, without regard to case (`*@shop.example`).
package struct RoutePattern: Sendable, Hashable {
    let pattern: String
    private let characters: [Character]

    package init(_ pattern: String) {
        self.pattern = pattern
        characters = Array(pattern.lowercased())
    }

    func matches(_ address: String) -> Bool {
        matches(lowercased: Array(address.lowercased()))
    }

    /// Whether the pattern matches an address already lower-cased and split into characters, so that a
    /// message's recipients are prepared once for every route they are tried against.
    func matches(lowercased text: [Character]) -> Bool {
        // Iterative wildcard matching with one backtrack point: linear in practice, never exponential.
        var p = 0
        var t = 0
        var star: Int?
        var resume = 0
        while t < text.count {
            if p < characters.count && (characters[p] == "?" || characters[p] == text[t]) {
                p += 1
                t += 1
            } else if p < characters.count && characters[p] == "*" {
                star = p
                resume = t
                p += 1
            } else if let star {
                p = star + 1
                resume += 1
                t = resume
            } else {
                return false
            }
        }
        while p < characters.count && characters[p] == "*" { p += 1 }
        return p == characters.count
    }
}

/// The routes of every inbox, in the order they are tried (inbox name, then pattern order).
package struct RouteTable: Sendable {
    private var routes: [(pattern: RoutePattern, inbox: InboxReference)] = []

    package init(_ routes: [(pattern: RoutePattern, inbox: InboxReference)] = []) {
        self.routes = routes
    }

    package var isEmpty: Bool { routes.isEmpty }

    /// The inbox of the first route matching any of `recipients`.
    package func inbox(for recipients: [String]) -> InboxReference? {
        let prepared = recipients.map { Array($0.lowercased()) }
        for route in routes where prepared.contains(where: route.pattern.matches(lowercased:)) {
            return route.inbox
        }
        return nil
    }

    static func load(_ db: GRDB.Database) throws -> RouteTable {
        var routes: [(pattern: RoutePattern, inbox: InboxReference)] = []
        for row in try Row.fetchAll(db, sql: "SELECT id, name, routes FROM inbox WHERE routes <> '' ORDER BY name") {
            let inbox = InboxReference(id: row[0], name: row[1])
            let text: String = row[2]
            for pattern in ColumnList.decodeStrings(text) {
                routes.append((RoutePattern(pattern), inbox))
            }
        }
        return RouteTable(routes)
    }
}
