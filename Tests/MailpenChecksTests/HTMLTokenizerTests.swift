import Testing

@testable import MailpenChecks

@Suite("HTML tokenizer")
struct HTMLTokenizerTests {
    private func tags(_ html: String) -> [HTMLTag] {
        HTMLDocument(html).tokens.compactMap { token in
            if case .tag(let tag) = token {
                return tag
            }
            return nil
        }
    }

    @Test func readsTagsAttributesAndLines() {
        let tags = self.tags("<p>\n<A HREF='x?a=1&amp;b=2' Target=_blank nowrap>link</a>\n<img src=\"i.png\"/>")
        #expect(tags.map(\.name) == ["p", "a", "a", "img"])
        #expect(tags[1].attribute("href") == "x?a=1&b=2")
        #expect(tags[1].attribute("target") == "_blank")
        #expect(tags[1].hasAttribute("nowrap"))
        #expect(tags[1].line == 2)
        #expect(tags[2].isEndTag)
        #expect(tags[3].isSelfClosing && tags[3].line == 3)
    }

    @Test func firstDuplicateAttributeWins() {
        #expect(self.tags("<a href=one href=two>").first?.attribute("href") == "one")
    }

    @Test func rawTextElementsHideMarkup() {
        let document = HTMLDocument("<style>p > a { x: '<b>' }</style><script>if (a<b) {}</script><b>")
        let names = document.startTags.map(\.name)
        #expect(names == ["style", "script", "b"])
        let raw = document.tokens.compactMap { token -> String? in
            if case .rawText(_, let range, _) = token {
                return document.string(range)
            }
            return nil
        }
        #expect(raw == ["p > a { x: '<b>' }", "if (a<b) {}"])
    }

    @Test func commentsDoctypeAndBogusComments() {
        let document = HTMLDocument("<!DOCTYPE html><!-- a -- b --><!--><?xml x?><![CDATA[z]]><p>")
        var comments = 0
        var doctype: String? = nil
        for token in document.tokens {
            switch token {
            case .comment: comments += 1
            case .doctype(let value, _): doctype = value
            default: break
            }
        }
        #expect(doctype == "html")
        #expect(comments == 4)
        #expect(document.startTags.map(\.name) == ["p"])
    }

    @Test(arguments: [
        "<", "<<<<", "</", "</>", "<!", "<!-", "<!--", "<!-- never closed <p>", "<a href=\"never closed",
        "<a href='x", "<a href=", "<style>never closed", "<title>x", "<p <p <p", "a < b > c", "<!DOCTYPE",
        "<a\u{0}b>", "<\u{FFFD}>", "<div style=\"color:red", "</div foo=\"bar\">",
    ])
    func brokenMarkupNeverTraps(_ html: String) {
        let document = HTMLDocument(html)
        // Every token range lies within the input.
        for token in document.tokens {
            switch token {
            case .text(let range), .rawText(_, let range, _), .comment(let range, _):
                #expect(range.lowerBound >= 0 && range.upperBound <= document.bytes.count)
            default:
                break
            }
        }
    }

    @Test func literalLessThanStaysText() {
        let document = HTMLDocument("1 < 2 and <3")
        #expect(document.startTags.isEmpty)
        #expect(document.tokens.count == 1)
    }

    @Test func unclosedCommentRunsToTheEnd() {
        let document = HTMLDocument("<p>a<!-- x <b>y</b>")
        #expect(document.startTags.map(\.name) == ["p"])
    }
}
