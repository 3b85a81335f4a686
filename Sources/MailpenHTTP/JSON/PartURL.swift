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
        ContentIDReferences.rewriting(html, contentIDs: contentIDs) { path(messageID: messageID, partID: $0) }
    }
}
