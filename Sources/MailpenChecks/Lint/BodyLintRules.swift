import MailpenMIME

/// The bodies: a text alternative for HTML, and HTML size (Gmail clips it).
extension LintCheck {
    /// Gmail shows "[Message clipped]" once the HTML exceeds about 102 KB.
    static let gmailClipBytes = 102 * 1024

    static let bodyRules: [LintRule] = [
        LintRule("missing-text-alternative") { input in
            guard let html = input.message.htmlBodyPart, input.message.textBodyPart == nil else {
                return []
            }
            return [
                LintFinding(
                    id: "missing-text-alternative",
                    severity: .warning,
                    message:
                        "HTML without a text/plain alternative (multipart/alternative); "
                        + "spam filters penalize HTML-only mail and text-only clients show nothing useful.",
                    location: input.describe(html),
                    partID: html.id
                )
            ]
        },
        LintRule("html-clipped-by-gmail") { input in
            guard let part = input.message.htmlBodyPart, let html = input.message.htmlBody,
                html.utf8.count > Self.gmailClipBytes
            else {
                return []
            }
            let kilobytes = (html.utf8.count + 1023) / 1024
            return [
                LintFinding(
                    id: "html-clipped-by-gmail",
                    severity: .warning,
                    message:
                        "The HTML is \(kilobytes) KB; Gmail clips messages over 102 KB, "
                        + "hiding the rest (often the unsubscribe link and tracking pixel).",
                    location: input.describe(part),
                    partID: part.id
                )
            ]
        },
    ]
}
