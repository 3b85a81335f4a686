import MailpenMIME

/// Which caniemail.com features HTML elements, attributes and image URLs stand for.
enum HTMLFeatureMap {
    /// Element name → feature slug.
    static let elements: [String: String] = {
        var map: [String: String] = [:]
        for name in [
            "abbr", "acronym", "address", "audio", "base", "bdi", "blockquote", "body", "code", "del", "dfn",
            "dialog", "div", "form", "hr", "img", "link", "marquee", "meter", "object", "p", "picture", "pre",
            "progress", "rp", "rt", "ruby", "select", "small", "span", "strike", "strong", "style", "svg",
            "table", "textarea", "video", "wbr",
        ] {
            map[name] = "html-" + name
        }
        for heading in 1...6 {
            map["h\(heading)"] = "html-h1-h6"
        }
        for name in ["ul", "ol", "dl", "li", "dt", "dd"] {
            map[name] = "html-lists"
        }
        for name in [
            "article", "aside", "details", "figcaption", "figure", "footer", "header", "main", "mark", "nav",
            "section", "summary", "time",
        ] {
            map[name] = "html-semantics"
        }
        map["map"] = "html-image-maps"
        map["area"] = "html-image-maps"
        return map
    }()

    /// Attribute name (on any element) → feature slug.
    static let attributes: [String: String] = {
        var map: [String: String] = [:]
        for name in [
            "align", "background", "cellpadding", "cellspacing", "dir", "height", "width", "hidden", "lang",
            "required", "role", "srcset", "target", "valign", "popover", "aria-describedby", "aria-hidden",
            "aria-label", "aria-labelledby", "aria-live",
        ] {
            map[name] = "html-" + name
        }
        map["sizes"] = "html-srcset"
        map["loading"] = "html-loading-attribute"
        map["usemap"] = "html-image-maps"
        map["inert"] = "css-inert-attribute"
        return map
    }()

    /// `<input type>` values with a feature of their own (a missing type is `text`).
    static let inputTypes: Set<String> = ["checkbox", "hidden", "radio", "reset", "submit", "text"]

    /// Image file extension → feature slug.
    static let imageExtensions: [String: String] = [
        "png": "image-png", "apng": "image-apng", "jpg": "image-jpg", "jpeg": "image-jpg", "gif": "image-gif",
        "webp": "image-webp", "avif": "image-avif", "bmp": "image-bmp", "svg": "image-svg", "tif": "image-tiff",
        "tiff": "image-tiff", "ico": "image-ico", "heic": "image-heif", "heif": "image-heif", "hdr": "image-hdr",
        "mp4": "image-mp4",
    ]

    /// Image features of an image URL: its format, and `image-base64` for base64 `data:` URLs.
    static func imageFeatures(_ url: String) -> [String] {
        let trimmed = Bytes.trimmed(url)
        let lower = ByteText.lowercasedASCII(String(trimmed.prefix(64)))
        if lower.hasPrefix("data:") {
            var found: [String] = []
            if lower.contains(";base64") {
                found.append("image-base64")
            }
            let type = lower.dropFirst(5).prefix { $0 != ";" && $0 != "," }
            if type.hasPrefix("image/") {
                var subtype = String(type.dropFirst(6))
                if subtype == "svg+xml" {
                    subtype = "svg"
                }
                if let slug = self.imageExtensions[subtype] {
                    found.append(slug)
                }
            }
            return found
        }
        var path = Substring(trimmed)
        if let cut = path.firstIndex(where: { $0 == "?" || $0 == "#" }) {
            path = path[..<cut]
        }
        guard let dot = path.lastIndex(of: "."), !path[dot...].contains("/") else {
            return []
        }
        let fileExtension = ByteText.lowercasedASCII(String(path[path.index(after: dot)...]))
        return self.imageExtensions[fileExtension].map { [$0] } ?? []
    }
}
