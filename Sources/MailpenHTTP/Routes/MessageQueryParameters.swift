import Hummingbird
import MailpenStore

extension Request {
    /// The messages of the path's inbox that a list, a deletion or a wait is about: `q` (a search), and
    /// `since` (an RFC 3339 time or a message id).
    func messageQuery(_ context: MailpenRequestContext) throws -> MessageQuery {
        let name = try context.pathParameter("inbox")
        let search = try SearchQuery(parsing: try queryValue("q") ?? "")
        var since: MessageMarker?
        if let text = try queryValue("since") {
            if let date = RFC3339.date(from: text) {
                since = .time(date)
            } else if text.count == 26, text.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber) }) {
                since = .message(id: text.uppercased())
            } else {
                throw APIError.badRequest("since must be an RFC 3339 time or a message id, not '\(text)'")
            }
        }
        return MessageQuery(inbox: name, search: search, since: since)
    }
}
