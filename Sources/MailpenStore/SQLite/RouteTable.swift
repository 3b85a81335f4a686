import GRDB

/// The routes of every inbox, in the order they are tried (inbox name, then pattern order).
package struct RouteTable: Sendable {
    private var routes: [(pattern: AddressPattern, inbox: InboxReference)] = []

    package init(_ routes: [(pattern: AddressPattern, inbox: InboxReference)] = []) {
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
        var routes: [(pattern: AddressPattern, inbox: InboxReference)] = []
        for row in try Row.fetchAll(db, sql: "SELECT id, name, routes FROM inbox WHERE routes <> '' ORDER BY name") {
            let inbox = InboxReference(id: row[0], name: row[1])
            let text: String = row[2]
            for pattern in ColumnList.decodeStrings(text) {
                routes.append((AddressPattern(pattern), inbox))
            }
        }
        return RouteTable(routes)
    }
}
