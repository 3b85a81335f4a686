import Foundation

/// Mailpit's rule for tag names, shared by its tag routes and its send route (whose `X-Tags` header carries
/// them): letters, digits, `-`, `.`, `_` and spaces are kept and the rest dropped, so no tag can hold a line
/// break; empty tags and case-insensitive repeats go.
enum MailpitTags {
    static func cleaned(_ tags: [String]) -> [String] {
        var cleaned: [String] = []
        for tag in tags {
            let kept = String(
                tag.unicodeScalars.filter {
                    $0.isASCII && (CharacterSet.alphanumerics.contains($0) || "-._ ".unicodeScalars.contains($0))
                }
            )
            .trimmingCharacters(in: .whitespaces)
            if !kept.isEmpty, !cleaned.contains(where: { $0.caseInsensitiveCompare(kept) == .orderedSame }) {
                cleaned.append(kept)
            }
        }
        return cleaned
    }
}
