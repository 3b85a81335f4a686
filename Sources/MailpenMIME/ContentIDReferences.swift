/// `cid:` URLs (RFC 2392) in a message's HTML, which the API rewrites to where the named parts are served.
/// One pass over the HTML with a table of the Content-IDs: a pass per id would cost the number of ids times
/// the size of the HTML, which one hostile message makes hours.
public enum ContentIDReferences {
    /// Replaces each `cid:` reference whose id (percent-decoded, compared without regard to ASCII case) is a
    /// key of `contentIDs` (Content-ID → part id, as ``MIMEMessage/contentIDs``) with `url(partID)`. With
    /// `attributeValuesOnly`, only references that begin an attribute value (`="cid:`, `='cid:`, `=cid:`)
    /// are replaced, as Mailpit does.
    public static func rewriting(
        _ html: String, contentIDs: [String: String], attributeValuesOnly: Bool = false, url: (String) -> String
    ) -> String {
        guard !contentIDs.isEmpty else { return html }
        var partIDs: [[UInt8]: String] = [:]
        for (contentID, partID) in contentIDs {
            let key = contentID.utf8.map(ASCII.lowercased)
            // Ids that differ only in case: the part that comes first in the message wins, whatever the
            // dictionary's order.
            if let other = partIDs[key], !comesBefore(partID, other) { continue }
            partIDs[key] = partID
        }
        let bytes = Array(html.utf8)
        var output: [UInt8] = []
        var copied = 0
        var index = 0
        while index + 4 <= bytes.count {
            guard isCIDScheme(bytes, at: index) else {
                index += 1
                continue
            }
            var end = index + 4
            while end < bytes.count, !delimiters.contains(bytes[end]) { end += 1 }
            let key = ParameterList.percentDecode(bytes[(index + 4)..<end]).map(ASCII.lowercased)
            if !attributeValuesOnly || beginsAttributeValue(bytes, at: index), let partID = partIDs[key] {
                if output.isEmpty { output.reserveCapacity(bytes.count) }
                output += bytes[copied..<index]
                output += url(partID).utf8
                copied = end
            }
            index = end
        }
        guard copied > 0 else { return html }
        output += bytes[copied...]
        return String(decoding: output, as: UTF8.self)
    }

    /// Whether part `id` comes before part `other` in the message: section numbers compared one by one.
    private static func comesBefore(_ id: String, _ other: String) -> Bool {
        let numbers = id.split(separator: ".").map { Int($0) ?? Int.max }
        let others = other.split(separator: ".").map { Int($0) ?? Int.max }
        return numbers.lexicographicallyPrecedes(others)
    }

    /// What ends a reference: quotes, white space, the end of a CSS `url(…)` and the angle brackets of tags.
    private static let delimiters: [UInt8] = [
        ASCII.quote, ASCII.apostrophe, ASCII.space, ASCII.closeParen, ASCII.lessThan, ASCII.greaterThan, ASCII.tab,
        ASCII.cr, ASCII.lf,
    ]

    private static func isCIDScheme(_ bytes: [UInt8], at index: Int) -> Bool {
        ASCII.lowercased(bytes[index]) == UInt8(ascii: "c") && ASCII.lowercased(bytes[index + 1]) == UInt8(ascii: "i")
            && ASCII.lowercased(bytes[index + 2]) == UInt8(ascii: "d") && bytes[index + 3] == ASCII.colon
    }

    /// `=` or `="` or `='` just before `index`.
    private static func beginsAttributeValue(_ bytes: [UInt8], at index: Int) -> Bool {
        guard index >= 1 else { return false }
        if bytes[index - 1] == ASCII.equals { return true }
        return index >= 2 && (bytes[index - 1] == ASCII.quote || bytes[index - 1] == ASCII.apostrophe)
            && bytes[index - 2] == ASCII.equals
    }
}
