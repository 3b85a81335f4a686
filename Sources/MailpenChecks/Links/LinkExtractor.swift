import MailpenMIME

/// An `<a href>` with its text, for the spam rules that compare the two.
struct HTMLAnchor: Sendable {
    var href: String
    /// Text content with image alt text, white space collapsed.
    var text: String
    var containsImage: Bool
    var line: Int
}

/// Collects every URL of the HTML and text bodies into `LinkReport.Link`s.
///
/// HTML: `href`, `src`, `srcset`, `background`, `poster`, `action`, `data`, `style`
/// attributes' `url()`, and `url()`/`@import` in `<style>` sheets. Text: see
/// `TextURLScanner`. `data:` URLs and fragment-only references (`#top`) are not listed.
package struct LinkExtractor {
    static let maximumOccurrences = 50
    static let maximumTextLength = 200

    private var links: [LinkReport.Link] = []
    private var indexByURL: [String: Int] = [:]
    private(set) var anchors: [HTMLAnchor] = []

    /// The links of a message's bodies, in order of first appearance, and the HTML's anchors.
    static func scan(html: HTMLDocument?, text: String?) -> (links: [LinkReport.Link], anchors: [HTMLAnchor]) {
        var extractor = LinkExtractor()
        if let html {
            extractor.scanHTML(html)
        }
        if let text {
            extractor.scanText(text)
        }
        return (extractor.links, extractor.anchors)
    }

    /// The links of a message's bodies, in order of first appearance.
    static func links(html: HTMLDocument?, text: String?) -> [LinkReport.Link] {
        self.scan(html: html, text: text).links
    }

    /// The URL candidates of a `srcset` value (`a.png 1x, b.png 2x`).
    static func srcsetURLs(_ value: String) -> [String] {
        value.split(separator: ",").compactMap { candidate in
            let url = candidate.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\n" || $0 == "\r" }).first
            return url.map(String.init)
        }
    }

    /// `url` without surrounding white space and embedded tabs or line breaks (as browsers read it).
    static func normalized(_ url: String) -> String {
        let trimmed = Bytes.trimmed(url)
        guard trimmed.utf8.contains(where: { $0 == ASCII.tab || $0 == ASCII.lf || $0 == ASCII.cr }) else {
            return trimmed
        }
        return String(
            decoding: trimmed.utf8.filter { $0 != ASCII.tab && $0 != ASCII.lf && $0 != ASCII.cr },
            as: UTF8.self
        )
    }

    /// The lowercased scheme of `url`, nil when relative.
    package static func scheme(of url: String) -> String? {
        var scheme: [UInt8] = []
        for byte in url.utf8 {
            if byte == ASCII.colon {
                return scheme.isEmpty ? nil : String(decoding: scheme, as: UTF8.self)
            }
            guard
                ASCII.isAlpha(byte)
                    || (!scheme.isEmpty
                        && (ASCII.isDigit(byte) || byte == ASCII.plus || byte == ASCII.minus || byte == ASCII.dot))
            else {
                return nil
            }
            scheme.append(ASCII.lowercased(byte))
        }
        return nil
    }

    private mutating func add(_ rawURL: String, _ occurrence: LinkReport.Occurrence) {
        let url = Self.normalized(rawURL)
        guard !url.isEmpty, !url.hasPrefix("#") else {
            return
        }
        let scheme = Self.scheme(of: url)
        if scheme == "data" {
            return
        }
        if let index = self.indexByURL[url] {
            self.links[index].count += 1
            if self.links[index].occurrences.count < Self.maximumOccurrences {
                self.links[index].occurrences.append(occurrence)
            }
            return
        }
        self.indexByURL[url] = self.links.count
        self.links.append(LinkReport.Link(url: url, scheme: scheme, occurrences: [occurrence], count: 1, status: nil))
    }

    // MARK: HTML

    private mutating func scanHTML(_ document: HTMLDocument) {
        // The open <a>: where its occurrence is (when listed), anchor record, and collected text.
        var openAnchor: (occurrence: (link: Int, index: Int)?, anchor: HTMLAnchor, text: [String])? = nil

        func closeAnchor(_ extractor: inout LinkExtractor) {
            guard let open = openAnchor else {
                return
            }
            var anchor = open.anchor
            anchor.text = Bytes.collapsingWhitespace(open.text.joined())
            let display = String(anchor.text.prefix(Self.maximumTextLength))
            if let (link, index) = open.occurrence {
                extractor.links[link].occurrences[index].text = display
            }
            extractor.anchors.append(anchor)
            openAnchor = nil
        }

        for token in document.tokens {
            switch token {
            case .tag(let tag) where tag.isEndTag:
                if tag.name == "a" {
                    closeAnchor(&self)
                }
            case .tag(let tag):
                if tag.name == "a" {
                    closeAnchor(&self)
                }
                let linkCount = self.links.count
                let occurrenceCount = self.occurrenceCount(of: tag.attribute("href"))
                self.scanTag(tag)
                if tag.name == "a", let href = tag.attribute("href") {
                    let url = Self.normalized(href)
                    var occurrence: (link: Int, index: Int)? = nil
                    if let link = self.indexByURL[url] {
                        let occurrences = self.links[link].occurrences.count
                        let added = link >= linkCount || occurrences > occurrenceCount
                        occurrence = added ? (link, occurrences - 1) : nil
                    }
                    openAnchor = (occurrence, HTMLAnchor(href: url, text: "", containsImage: false, line: tag.line), [])
                } else if tag.name == "img", openAnchor != nil {
                    openAnchor?.anchor.containsImage = true
                    if let alt = tag.attribute("alt"), !alt.isEmpty {
                        openAnchor?.text.append(" " + alt + " ")
                    }
                }
            case .text(let range):
                if openAnchor != nil {
                    openAnchor?.text.append(HTMLEntities.decode(document.bytes, range))
                }
            case .rawText(element: "style", let range, line: _)
            where Bytes.contains(document.bytes, range, lowercase: "url(")
                || Bytes.contains(document.bytes, range, lowercase: "@import"):
                let lines = document.lines
                let items = CSSScanner.scanStyleSheet(document.bytes, range: range, line: { lines.line(at: $0) })
                self.scanCSS(items, element: "style", attribute: "css")
            default:
                break
            }
        }
        closeAnchor(&self)
    }

    private func occurrenceCount(of url: String?) -> Int {
        guard let url, let index = self.indexByURL[Self.normalized(url)] else {
            return 0
        }
        return self.links[index].occurrences.count
    }

    private mutating func scanTag(_ tag: HTMLTag) {
        func occurrence(_ attribute: String, _ kind: LinkReport.Kind) -> LinkReport.Occurrence {
            LinkReport.Occurrence(
                source: .html,
                kind: kind,
                element: tag.name,
                attribute: attribute,
                line: tag.line,
                text: nil
            )
        }
        for attribute in tag.attributes where attribute.hasValue {
            switch attribute.name {
            case "href":
                self.add(attribute.value, occurrence("href", Self.hrefKind(tag)))
            case "src":
                self.add(attribute.value, occurrence("src", Self.srcKind(tag)))
            case "srcset":
                for url in Self.srcsetURLs(attribute.value) {
                    self.add(url, occurrence("srcset", .image))
                }
            case "background", "poster":
                self.add(attribute.value, occurrence(attribute.name, .image))
            case "action", "formaction":
                self.add(attribute.value, occurrence(attribute.name, .form))
            case "data" where tag.name == "object":
                self.add(attribute.value, occurrence("data", .media))
            case "style" where Bytes.contains(attribute.value, lowercase: "url("):
                self.scanCSS(
                    CSSScanner.scanInlineStyle(attribute.value, line: tag.line),
                    element: tag.name,
                    attribute: "style"
                )
            default:
                break
            }
        }
    }

    private static func hrefKind(_ tag: HTMLTag) -> LinkReport.Kind {
        switch tag.name {
        case "a", "area":
            return .link
        case "link":
            let relation = ByteText.lowercasedASCII(tag.attribute("rel") ?? "")
            if relation.contains("stylesheet") {
                return .stylesheet
            }
            return relation.contains("icon") ? .image : .other
        default:
            return .other
        }
    }

    private static func srcKind(_ tag: HTMLTag) -> LinkReport.Kind {
        switch tag.name {
        case "img", "input":
            return .image
        case "iframe", "frame":
            return .frame
        case "script":
            return .script
        case "audio", "video", "source", "track", "embed":
            return .media
        default:
            return .other
        }
    }

    private mutating func scanCSS(_ items: [CSSItem], element: String, attribute: String) {
        for item in items {
            switch item {
            case .declaration(let declaration):
                let kind: LinkReport.Kind = declaration.property == "src" ? .font : .image
                for url in CSSValueScanner.urls(declaration.value) {
                    self.add(
                        url,
                        LinkReport.Occurrence(
                            source: .html,
                            kind: kind,
                            element: element,
                            attribute: attribute,
                            line: declaration.line,
                            text: nil
                        )
                    )
                }
            case .atRule(name: "import", let prelude, let line):
                for url in CSSValueScanner.urls(prelude, bareStrings: true) {
                    self.add(
                        url,
                        LinkReport.Occurrence(
                            source: .html,
                            kind: .stylesheet,
                            element: element,
                            attribute: attribute,
                            line: line,
                            text: nil
                        )
                    )
                }
            default:
                break
            }
        }
    }

    // MARK: Text

    private mutating func scanText(_ text: String) {
        for match in TextURLScanner.urls(in: text) {
            self.add(
                match.url,
                LinkReport.Occurrence(
                    source: .text,
                    kind: .link,
                    element: nil,
                    attribute: nil,
                    line: match.line,
                    text: nil
                )
            )
        }
    }
}
