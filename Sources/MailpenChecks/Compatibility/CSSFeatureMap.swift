/// Which caniemail.com features CSS properties, values, selectors and at-rules stand for.
enum CSSFeatureMap {
    /// Properties whose feature is not simply `css-<property>`.
    static let propertyAliases: [String: [String]] = {
        var map: [String: [String]] = [:]
        func add(_ properties: [String], _ slug: String) {
            for property in properties {
                map[property, default: []].append(slug)
            }
        }
        let sides = ["top", "right", "bottom", "left"]
        let aspects = ["width", "style", "color"]
        add(aspects.map { "border-\($0)" }, "css-border")
        for side in sides {
            add(["border-\(side)"] + aspects.map { "border-\(side)-\($0)" }, "css-border")
            add(["margin-\(side)"], "css-margin")
            add(["padding-\(side)"], "css-padding")
        }
        add(
            [
                "border-top-left-radius", "border-top-right-radius", "border-bottom-left-radius",
                "border-bottom-right-radius",
            ],
            "css-border-radius"
        )
        add(["border-inline", "border-block"], "css-border-inline-block")
        for axis in ["inline", "block"] {
            add(
                aspects.map { "border-\(axis)-\($0)" } + ["border-\(axis)-start", "border-\(axis)-end"],
                "css-border-inline-block-individual"
            )
            for edge in ["start", "end"] {
                add(aspects.map { "border-\(axis)-\(edge)-\($0)" }, "css-border-inline-block-longhand")
            }
        }
        add(
            [
                "border-start-start-radius", "border-start-end-radius", "border-end-start-radius",
                "border-end-end-radius",
            ],
            "css-border-radius-logical"
        )
        add(
            [
                "columns", "column-fill", "column-rule", "column-rule-color", "column-rule-style", "column-rule-width",
                "column-span", "column-width",
            ],
            "css-column-layout-properties"
        )
        add(["column-gap", "row-gap"], "css-gap")
        add(
            ["grid-template", "grid-template-areas", "grid-template-columns", "grid-template-rows"],
            "css-grid-template"
        )
        add(
            [
                "inset-block", "inset-inline", "inset-inline-start", "inset-inline-end", "inset-block-start",
                "inset-block-end",
            ],
            "css-inset"
        )
        add(sides, "css-left-right-top-bottom")
        add(["margin-inline", "margin-block"], "css-margin-inline-block")
        add(["margin-inline-start", "margin-inline-end"], "css-margin-inline-start-end")
        add(["margin-block-start", "margin-block-end"], "css-margin-block-start-end")
        add(["padding-inline", "padding-block"], "css-padding-inline-block")
        add(["padding-inline-start", "padding-inline-end"], "css-padding-inline-start-end")
        add(["padding-block-start", "padding-block-end"], "css-padding-block-start-end")
        add(["block-size", "inline-size"], "css-block-inline-size")
        add(["inline-size"], "css-inline-size")
        add(["overflow-x", "overflow-y", "overflow-block", "overflow-inline"], "css-overflow")
        add(["flex-flow"], "css-flex-wrap")
        return map
    }()

    /// Property prefixes whose longhands share the shorthand's feature.
    static let propertyPrefixes: [(prefix: String, slug: String)] = [
        ("animation-", "css-animation"), ("transition-", "css-transition"), ("scroll-snap-", "css-scroll-snap"),
    ]

    /// Function name → feature slug.
    static let functions: [String: String] = [
        "rgb": "css-rgb", "rgba": "css-rgba", "linear-gradient": "css-linear-gradient",
        "repeating-linear-gradient": "css-linear-gradient", "radial-gradient": "css-radial-gradient",
        "repeating-radial-gradient": "css-radial-gradient", "conic-gradient": "css-conic-gradient",
        "repeating-conic-gradient": "css-conic-gradient", "calc": "css-unit-calc", "clamp": "css-function-clamp",
        "min": "css-function-min", "max": "css-function-max", "light-dark": "css-function-light-dark",
        "lch": "css-modern-color", "oklch": "css-modern-color", "lab": "css-modern-color", "oklab": "css-modern-color",
        "var": "css-variables",
    ]

    /// Dimension unit → feature slug (`%` is `css-unit-percent`).
    static let units: [String: String] = {
        var map: [String: String] = [:]
        for unit in ["ch", "cm", "em", "ex", "in", "mm", "pc", "pt", "px", "rem", "vh", "vmax", "vmin", "vw"] {
            map[unit] = "css-unit-" + unit
        }
        return map
    }()

    /// Keyword values with a feature of their own, in any property.
    static let keywords: [String: String] = [
        "initial": "css-unit-initial", "fit-content": "css-intrinsic-size", "min-content": "css-intrinsic-size",
        "max-content": "css-intrinsic-size",
    ]

    /// System font keywords (`font-family`, `font`).
    static let systemFonts: Set<String> = ["system-ui", "ui-serif", "ui-sans-serif", "ui-rounded", "ui-monospace"]

    /// The features of `@media` query words.
    static func mediaFeatures(_ prelude: String) -> [String] {
        var found: [String] = []
        for token in CSSValueScanner.tokens(prelude) {
            guard case .identifier(let word) = token else {
                continue
            }
            let slug: String?
            switch CSSScanner.unprefixed(word) {
            case "prefers-color-scheme": slug = "css-at-media-prefers-color-scheme"
            case "prefers-reduced-motion": slug = "css-at-media-prefers-reduced-motion"
            case "orientation": slug = "css-at-media-orientation"
            case "hover", "any-hover": slug = "css-at-media-hover"
            default:
                slug = word.contains("device-pixel-ratio") ? "css-at-media-device-pixel-ratio" : nil
            }
            if let slug, !found.contains(slug) {
                found.append(slug)
            }
        }
        return found
    }
}
