import Testing

@testable import MailpenChecks

@Suite("CSS scanner")
struct CSSScannerTests {
    private func sheet(_ css: String) -> [CSSItem] {
        let bytes = Array(css.utf8)
        let lines = LineIndex(bytes)
        return CSSScanner.scanStyleSheet(bytes, range: 0..<bytes.count, line: { lines.line(at: $0) })
    }

    private func declarations(_ items: [CSSItem]) -> [String] {
        items.compactMap { item in
            if case .declaration(let declaration) = item {
                return
                    "\(declaration.property)=\(declaration.value)\(declaration.isImportant ? "!" : "")@\(declaration.line)"
            }
            return nil
        }
    }

    private func selectors(_ items: [CSSItem]) -> [String] {
        items.compactMap { item in
            switch item {
            case .selector(let text, let line): return "\(text)@\(line)"
            case .nestedRule(let text, let line): return "&\(text)@\(line)"
            default: return nil
            }
        }
    }

    @Test func rulesAtRulesAndImportant() {
        let items = self.sheet(
            """
            @import url("a.css");
            p, .x:hover { color: red !important; MARGIN : 0 }
            @media (max-width: 600px) {
              .col { width: 100% ! IMPORTANT }
            }
            @font-face { font-family: X; src: url(x.woff2) }
            @keyframes spin { from { opacity: 0 } 50% { opacity: .5 } }
            """
        )
        #expect(self.selectors(items) == ["p, .x:hover@2", ".col@4"])
        #expect(
            self.declarations(items) == [
                "color=red!@2", "margin=0@2", "width=100%!@4", "font-family=X@6", "src=url(x.woff2)@6", "opacity=0@7",
                "opacity=.5@7",
            ]
        )
        let atRules = items.compactMap { item -> String? in
            if case .atRule(let name, let prelude, _) = item {
                return "\(name) \(prelude)"
            }
            return nil
        }
        #expect(atRules == ["import url(\"a.css\")", "media (max-width: 600px)", "font-face ", "keyframes spin"])
    }

    @Test func inlineStyleWithUrlSemicolonsAndComments() {
        let items = CSSScanner.scanInlineStyle(
            "background:url(data:image/png;base64,AAA=) no-repeat; /* note */ color:#fff;;--brand: red",
            line: 7
        )
        #expect(
            self.declarations(items) == [
                "background=url(data:image/png;base64,AAA=) no-repeat@7", "color=#fff@7", "--brand=red@7",
            ]
        )
        #expect(items.contains { if case .comment(7) = $0 { return true } else { return false } })
    }

    @Test func nestingAndRecovery() {
        let items = self.sheet(".card { color: red; &:hover { color: blue } } } } garbage; .next { x: 1 }")
        #expect(self.selectors(items) == [".card@1", "&&:hover@1", ".next@1"])
        #expect(self.declarations(items) == ["color=red@1", "color=blue@1", "x=1@1"])
    }

    @Test func unclosedStringOrParenthesisDoesNotSwallowTheSheet() {
        let items = self.sheet("a { content: \"open\n}\nb { width: calc(1px + ; }\nc { color: red }")
        #expect(self.selectors(items).contains("c@4"))
    }

    @Test func selectorFeatures() {
        let features = CSSSelectorScanner.features(
            "ul > li + li ~ p, .a.b #c [data-x] *, a:hover::before, p:not(.x):first-child, a:before"
        )
        #expect(features.grouping && features.child && features.adjacentSibling && features.generalSibling)
        #expect(features.className && features.id && features.attribute && features.universal && features.type)
        #expect(features.chaining && features.descendant)
        #expect(features.pseudoClasses == ["hover", "not", "first-child"])
        #expect(features.pseudoElements == ["before"])
        let simple = CSSSelectorScanner.features("a.button")
        #expect(!simple.chaining && !simple.descendant)
    }

    @Test func valueTokens() {
        let tokens = CSSValueScanner.tokens(
            "calc(100% - 2rem) rgba(0,0,0,.5) 12PX -1.5em url( 'a b.png' ) var(--x) initial #fff"
        )
        #expect(
            tokens == [
                .function("calc"), .percentage, .dimension("rem"), .function("rgba"), .dimension("px"),
                .dimension("em"),
                .url("a b.png"), .function("var"), .identifier("--x"), .identifier("initial"),
            ]
        )
    }
}
