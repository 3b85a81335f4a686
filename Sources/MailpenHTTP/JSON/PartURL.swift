import Foundation
import Hummingbird
import MailpenMIME
import MailpenStore

/// URLs of a message's parts, which `cid:` references in HTML are rewritten to.
enum PartURL {
    static func path(messageID: String, partID: String) -> String {
        "/api/v1/messages/\(messageID)/parts/\(partID)"
    }

    /// Rewrites every `cid:` reference to a known content id into its part URL. Content ids are compared
    /// after percent-decoding (RFC 2392), case-insensitively.
    static func rewritingContentIDs(in html: String, messageID: String, contentIDs: [String: String]) -> String {
        guard !contentIDs.isEmpty, html.range(of: "cid:", options: .caseInsensitive) != nil else { return html }
        var lookup: [String: String] = [:]
        for (contentID, partID) in contentIDs { lookup[contentID.lowercased()] = partID }
        var output = ""
        output.reserveCapacity(html.utf8.count)
        var rest = html[...]
        while let range = rest.range(of: "cid:", options: .caseInsensitive) {
            output += rest[..<range.lowerBound]
            var end = range.upperBound
            while end < rest.endIndex, !"\"' )>\t\r\n".contains(rest[end]) { end = rest.index(after: end) }
            let reference = String(rest[range.upperBound..<end])
            let key = (reference.removingPercentEncoding ?? reference).lowercased()
            if let partID = lookup[key] {
                output += path(messageID: messageID, partID: partID)
            } else {
                output += rest[range.lowerBound..<end]
            }
            rest = rest[end...]
        }
        output += rest
        return output
    }
}
