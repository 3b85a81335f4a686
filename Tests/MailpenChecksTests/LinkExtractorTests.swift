import Testing

@testable import MailpenChecks

@Suite("Link extraction")
struct LinkExtractorTests {
    private func report(text: String, html: String) -> LinkReport {
        TestSupport.checks.links(TestSupport.context(TestSupport.alternative(text: text, html: html)))
    }

    @Test func everyHTMLSourceOfURLs() throws {
        let html = """
            <html><head><link rel="stylesheet" href="https://cdn.example.com/a.css">
            <style>@import "https://cdn.example.com/b.css"; .hero { background-image: url('https://img.example.com/bg.png') }</style></head>
            <body background="https://img.example.com/body.jpg">
            <a href=" https://shop.example.com/?a=1&amp;b=2 ">Shop <b>now</b></a>
            <a href="https://shop.example.com/?a=1&b=2"><img src="https://img.example.com/x.png" alt="Sale"></a>
            <img srcset="https://img.example.com/s1.png 1x, https://img.example.com/s2.png 2x" src="cid:logo@x">
            <video poster="https://img.example.com/poster.jpg"><source src="https://media.example.com/v.mp4"></video>
            <form action="https://forms.example.com/submit"></form>
            <div style="background:url(https://img.example.com/div.gif)">x</div>
            <a href="#top">top</a><a href="mailto:help@example.com">mail</a><img src="data:image/png;base64,AAAA">
            </body></html>
            """
        let report = self.report(text: "plain", html: html)
        let urls = report.links.map(\.url)
        #expect(
            urls == [
                "https://cdn.example.com/a.css", "https://cdn.example.com/b.css", "https://img.example.com/bg.png",
                "https://img.example.com/body.jpg", "https://shop.example.com/?a=1&b=2",
                "https://img.example.com/x.png",
                "https://img.example.com/s1.png", "https://img.example.com/s2.png", "cid:logo@x",
                "https://img.example.com/poster.jpg", "https://media.example.com/v.mp4",
                "https://forms.example.com/submit",
                "https://img.example.com/div.gif", "mailto:help@example.com",
            ]
        )
        let shop = try #require(report.links.first { $0.url == "https://shop.example.com/?a=1&b=2" })
        #expect(shop.count == 2)
        #expect(shop.occurrences.map(\.text) == ["Shop now", "Sale"])
        #expect(shop.occurrences.map(\.line) == [4, 5])
        #expect(shop.occurrences.allSatisfy { $0.kind == .link && $0.element == "a" && $0.attribute == "href" })
        let stylesheet = try #require(report.links.first { $0.url == "https://cdn.example.com/b.css" })
        #expect(stylesheet.occurrences.first?.kind == .stylesheet)
        #expect(stylesheet.occurrences.first?.attribute == "css")
        #expect(stylesheet.occurrences.first?.line == 2)
        let cid = try #require(report.links.first { $0.url == "cid:logo@x" })
        #expect(cid.scheme == "cid" && cid.occurrences.first?.kind == .image)
        #expect(report.links.first { $0.url == "https://media.example.com/v.mp4" }?.occurrences.first?.kind == .media)
        #expect(report.links.first { $0.url == "https://forms.example.com/submit" }?.occurrences.first?.kind == .form)
        #expect(!report.followed)
    }

    @Test func textURLsAreDeduplicatedWithHTML() throws {
        let text = """
            Hello,
            see https://shop.example.com/?a=1&b=2. Or (https://example.com/docs/a_(b)) and <https://example.com/x>,
            also www.example.org/page! and xhttp://no.example.com
            """
        let report = self.report(text: text, html: "<a href=\"https://shop.example.com/?a=1&amp;b=2\">x</a>")
        #expect(
            report.links.map(\.url) == [
                "https://shop.example.com/?a=1&b=2", "https://example.com/docs/a_(b)", "https://example.com/x",
                "www.example.org/page",
            ]
        )
        let shop = try #require(report.links.first)
        #expect(shop.occurrences.map(\.source) == [.html, .text])
        #expect(shop.occurrences.last?.line == 2)
        #expect(report.links.last?.occurrences.first?.line == 3)
    }

    /// One reference table serves the text view and the checks; a query parameter named like a
    /// reference (`&lang`, `&sect`, `&not`) stays as written unless it ends with `;`.
    @Test func characterReferencesInURLsAndLinkText() throws {
        let html = """
            <a href="https://shop.example.com/?a=1&lang=en&sect=2&not=3&amp;b=&#52;">Read &hellip; &eacute;t&eacute; &copy 2025</a>
            """
        let link = try #require(self.report(text: "", html: html).links.first)
        #expect(link.url == "https://shop.example.com/?a=1&lang=en&sect=2&not=3&b=4")
        #expect(link.occurrences.first?.text == "Read … été © 2025")
    }

    @Test func schemes() {
        #expect(LinkExtractor.scheme(of: "HTTPS://x") == "https")
        #expect(LinkExtractor.scheme(of: "/relative/path") == nil)
        #expect(LinkExtractor.scheme(of: "c:d") == "c")
        #expect(LinkExtractor.scheme(of: "1http://x") == nil)
    }

    @Test func occurrencesAreCapped() throws {
        let html = String(repeating: "<a href=\"https://x.example.com/\">x</a>\n", count: 80)
        let link = try #require(self.report(text: "", html: html).links.first)
        #expect(link.count == 80)
        #expect(link.occurrences.count == LinkExtractor.maximumOccurrences)
    }
}
