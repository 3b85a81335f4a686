import MailpenMIME

/// Where a document uses one caniemail.com feature.
struct FeatureUse: Sendable {
    /// Distinct lines, ascending.
    private(set) var lines: [Int] = []
    private(set) var count = 0

    mutating func record(line: Int) {
        self.count += 1
        guard let last = self.lines.last else {
            self.lines.append(line)
            return
        }
        if line > last {
            self.lines.append(line)
        } else if line < last {
            // Rare: out-of-order uses (markup and CSS interleave); keep sorted and distinct.
            let position = self.lines.firstIndex { $0 >= line } ?? self.lines.count
            if self.lines[position] != line {
                self.lines.insert(line, at: position)
            }
        }
    }
}

/// Where a document uses each caniemail.com feature, by slug.
struct FeatureUses: Sendable {
    private(set) var uses: [String: FeatureUse] = [:]

    mutating func record(_ slug: String, line: Int) {
        self.uses[slug, default: FeatureUse()].record(line: line)
    }
}

/// Finds the HTML, CSS and image features a document uses.
///
/// One walk over the tokens and one over the CSS items; the maps in `HTMLFeatureMap`
/// and `CSSFeatureMap` say what each construct stands for, and `database` says which
/// `css-<property>` features exist.
struct FeatureDetector {
    let database: CanIEmailDatabase
    private var uses = FeatureUses()
    /// Declaration (property and value) → feature slugs, memoized: mail repeats the same few
    /// declarations thousands of times.
    private var declarationCache: [String: [String]] = [:]

    init(database: CanIEmailDatabase) {
        self.database = database
    }

    static func detect(in document: HTMLDocument, database: CanIEmailDatabase) -> FeatureUses {
        var detector = FeatureDetector(database: database)
        detector.scanMarkup(document)
        for item in document.cssItems() {
            detector.scanCSS(item)
        }
        return detector.uses
    }

    private mutating func record(_ slug: String, _ line: Int) {
        if self.database.contains(slug) {
            self.uses.record(slug, line: line)
        }
    }

    // MARK: Markup

    private mutating func scanMarkup(_ document: HTMLDocument) {
        for token in document.tokens {
            switch token {
            case .tag(let tag) where !tag.isEndTag:
                self.scanTag(tag)
            case .comment(_, let line):
                self.record("html-comments", line)
            case .doctype(let content, let line):
                if ByteText.lowercasedASCII(content) == "html" {
                    self.record("html-doctype", line)
                }
            default:
                break
            }
        }
    }

    private mutating func scanTag(_ tag: HTMLTag) {
        let line = tag.line
        if let slug = HTMLFeatureMap.elements[tag.name] {
            self.record(slug, line)
        }
        for attribute in tag.attributes {
            if let slug = HTMLFeatureMap.attributes[attribute.name] {
                self.record(slug, line)
            }
        }
        switch tag.name {
        case "html":
            if tag.hasAttribute("⚡4email") || tag.hasAttribute("amp4email") {
                self.record("amp", line)
            }
        case "a":
            let href = ByteText.lowercasedASCII(Bytes.trimmed(tag.attribute("href") ?? ""))
            if href.hasPrefix("#") {
                self.record("html-anchor-links", line)
            } else if href.hasPrefix("mailto:") {
                self.record("html-mailto-links", line)
            }
        case "button":
            let type = ByteText.lowercasedASCII(tag.attribute("type") ?? "submit")
            if type == "submit" || type == "reset" {
                self.record("html-button-" + type, line)
            }
        case "input":
            let type = ByteText.lowercasedASCII(Bytes.trimmed(tag.attribute("type") ?? "text"))
            if HTMLFeatureMap.inputTypes.contains(type) {
                self.record("html-input-" + type, line)
            }
        case "meta":
            let name = ByteText.lowercasedASCII(tag.attribute("name") ?? "")
            if name == "color-scheme" || name == "supported-color-schemes" {
                self.record("html-meta-color-scheme", line)
            }
        case "img":
            if let source = tag.attribute("src") {
                self.recordImage(source, line)
            }
            if let sources = tag.attribute("srcset") {
                for candidate in LinkExtractor.srcsetURLs(sources) {
                    self.recordImage(candidate, line)
                }
            }
        case "source":
            if let sources = tag.attribute("srcset") {
                for candidate in LinkExtractor.srcsetURLs(sources) {
                    self.recordImage(candidate, line)
                }
            }
        default:
            break
        }
    }

    private mutating func recordImage(_ url: String, _ line: Int) {
        for slug in HTMLFeatureMap.imageFeatures(url) {
            self.record(slug, line)
        }
    }

    // MARK: CSS

    private mutating func scanCSS(_ item: CSSItem) {
        switch item {
        case .comment(let line):
            self.record("css-comments", line)
        case .atRule(let name, let prelude, let line):
            self.scanAtRule(name: name, prelude: prelude, line: line)
        case .selector(let selector, let line):
            self.scanSelector(selector, line: line)
        case .nestedRule(let selector, let line):
            self.record("css-nesting", line)
            self.scanSelector(selector, line: line)
        case .declaration(let declaration):
            self.scanDeclaration(declaration)
        }
    }

    private mutating func scanAtRule(name: String, prelude: String, line: Int) {
        switch CSSScanner.unprefixed(name) {
        case "media":
            self.record("css-at-media", line)
            for slug in CSSFeatureMap.mediaFeatures(prelude) {
                self.record(slug, line)
            }
        case "font-face":
            self.record("css-at-font-face", line)
        case "import":
            self.record("css-at-import", line)
        case "keyframes":
            self.record("css-at-keyframes", line)
        case "supports":
            self.record("css-at-supports", line)
        default:
            break
        }
    }

    private mutating func scanSelector(_ selector: String, line: Int) {
        let features = CSSSelectorScanner.features(selector)
        let flags: [(Bool, String)] = [
            (features.grouping, "css-selector-grouping"), (features.type, "css-selector-type"),
            (features.universal, "css-selector-universal"), (features.className, "css-selector-class"),
            (features.id, "css-selector-id"), (features.attribute, "css-selector-attribute"),
            (features.chaining, "css-selector-chaining"), (features.descendant, "css-selector-descendant"),
            (features.child, "css-selector-child"), (features.adjacentSibling, "css-selector-adjacent-sibling"),
            (features.generalSibling, "css-selector-general-sibling"),
        ]
        for (used, slug) in flags where used {
            self.record(slug, line)
        }
        for name in features.pseudoClasses {
            self.record("css-pseudo-class-" + name, line)
        }
        for name in features.pseudoElements {
            self.record("css-pseudo-element-" + name, line)
        }
    }

    private mutating func scanDeclaration(_ declaration: CSSDeclaration) {
        let line = declaration.line
        if declaration.isImportant {
            self.record("css-important", line)
        }
        let key = declaration.property + "\u{0}" + declaration.value
        let slugs: [String]
        if let cached = self.declarationCache[key] {
            slugs = cached
        } else {
            slugs = self.declarationSlugs(property: declaration.property, value: declaration.value)
            self.declarationCache[key] = slugs
        }
        for slug in slugs {
            self.uses.record(slug, line: line)
        }
    }

    /// The features a declaration uses (without `!important`), each once, all present in the data.
    private func declarationSlugs(property: String, value: String) -> [String] {
        var slugs: [String] = []
        func add(_ slug: String) {
            if !slugs.contains(slug) && self.database.contains(slug) {
                slugs.append(slug)
            }
        }
        let unprefixed = CSSScanner.unprefixed(property)
        if property.hasPrefix("--") {
            add("css-variables")
        } else {
            self.propertySlugs(unprefixed).forEach(add)
        }
        for token in CSSValueScanner.tokens(value) {
            switch token {
            case .function(let name):
                if let slug = CSSFeatureMap.functions[CSSScanner.unprefixed(name)] {
                    add(slug)
                }
            case .dimension(let unit):
                if let slug = CSSFeatureMap.units[unit] {
                    add(slug)
                }
            case .percentage:
                add("css-unit-percent")
            case .identifier(let word):
                if let slug = CSSFeatureMap.keywords[word] {
                    add(slug)
                }
                if (unprefixed == "font-family" || unprefixed == "font") && CSSFeatureMap.systemFonts.contains(word) {
                    add("css-sytem-ui")
                }
                if unprefixed == "display" {
                    switch word {
                    case "flex", "inline-flex": add("css-display-flex")
                    case "grid", "inline-grid": add("css-display-grid")
                    case "none": add("css-display-none")
                    default: break
                    }
                }
            case .url:
                break
            }
        }
        return slugs
    }

    private func propertySlugs(_ property: String) -> [String] {
        if let slugs = CSSFeatureMap.propertyAliases[property] {
            return slugs
        }
        let direct = "css-" + property
        if self.database.contains(direct) {
            return [direct]
        }
        for (prefix, slug) in CSSFeatureMap.propertyPrefixes where property.hasPrefix(prefix) {
            return [slug]
        }
        return []
    }
}
