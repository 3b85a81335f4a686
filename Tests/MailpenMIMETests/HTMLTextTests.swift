import MailpenMIME
import Testing

@Suite("HTML to text")
struct HTMLTextTests {
    @Test(
        "converts",
        arguments: [
            ("<p>One</p><p>Two</p>", "One\n\nTwo"),
            ("<div>a</div><div>b</div>", "a\nb"),
            ("line<br>break<br/>twice<br><br>done", "line\nbreak\ntwice\n\ndone"),
            ("<h1>Title</h1>text", "Title\n\ntext"),
            ("<ul><li>one</li><li>two</li></ul>", "one\ntwo"),
            ("  lots   of \n\t space  ", "lots of space"),
            ("<a href=\"https://x.y/a\">Click</a>", "Click (https://x.y/a)"),
            ("<a href=\"https://x.y/a\">https://x.y/a</a>", "https://x.y/a"),
            ("<a href=\"mailto:a@b.c\">a@b.c</a>", "a@b.c"),
            ("<a href=\"#top\">Top</a>", "Top"),
            ("<a href=\"javascript:void(0)\">JS</a>", "JS"),
            ("<a href=\"https://x.y/\"><img src=\"logo.png\" alt=\"Logo\"></a>", "Logo (https://x.y/)"),
            ("<a href=\"https://x.y/\"></a>", "https://x.y/"),
            ("<a href='https://x.y/?a=1&amp;b=2'>q</a>", "q (https://x.y/?a=1&b=2)"),
            ("&lt;tag&gt; &amp; &quot;q&quot; &#39;s&#x27; &euro;&nbsp;5 &copy &hellip;", "<tag> & \"q\" 's' € 5 © …"),
            ("&#128512; &#x1F600; &#0; &#xD800; &bogus; & alone", "😀 😀 \u{FFFD} \u{FFFD} &bogus; & alone"),
            ("<style>p { color: red }</style><script>var x = '<p>';</script>visible", "visible"),
            ("<title>Subject</title><p>body</p>", "body"),
            ("<!-- comment <p>hidden</p> -->shown", "shown"),
            ("<!DOCTYPE html><?xml version=\"1.0\"?>doc", "doc"),
            ("<pre>  keep\n    this</pre>after", "keep\n    this\n\nafter"),
            ("<table><tr><td>a</td><td>b</td></tr><tr><td>c</td></tr></table>", "a b\nc"),
            ("a < b and c > d", "a < b and c > d"),
            ("<p>unclosed <b>tags", "unclosed tags"),
            ("<scr<script>ipt>x</script>y", "ipt>xy"),  // as a browser shows it: the tag is "scr<script"
            ("text<p", "text"),
            ("<SCRIPT>x</SCRIPT><P>Upper</P>", "Upper"),
            ("", ""),
        ]
    )
    func converts(html: String, expected: String) {
        #expect(HTMLText.plainText(fromHTML: html) == expected)
    }

    @Test("stays linear on hostile input")
    func linear() {
        let inputs = [
            String(repeating: "<a href=x>", count: 50_000),
            String(repeating: "<!--", count: 50_000),
            String(repeating: "<script>", count: 50_000),
            String(repeating: "&#x", count: 50_000),
            String(repeating: "<p", count: 50_000),
            String(repeating: "<a href=\"", count: 50_000),
        ]
        let clock = ContinuousClock()
        for input in inputs {
            let elapsed = clock.measure {
                _ = HTMLText.plainText(fromHTML: input)
            }
            #expect(elapsed < .seconds(2), "slow on \(input.prefix(12))…")
        }
    }
}
