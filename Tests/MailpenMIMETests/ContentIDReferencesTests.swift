import MailpenMIME
import Testing

@Suite("cid: references in HTML")
struct ContentIDReferencesTests {
    let contentIDs = ["Logo@Shop": "2", "a b@x": "3"]

    private func rewrite(_ html: String, attributeValuesOnly: Bool = false) -> String {
        ContentIDReferences.rewriting(html, contentIDs: contentIDs, attributeValuesOnly: attributeValuesOnly) {
            "/parts/\($0)"
        }
    }

    @Test func referencesAreMatchedPercentDecodedAndWithoutRegardToCase() {
        #expect(rewrite(#"<img src="CID:logo@shop">"#) == #"<img src="/parts/2">"#)
        #expect(rewrite(#"<img src='cid:a%20b@x'>"#) == #"<img src='/parts/3'>"#)
        #expect(rewrite("<td style=\"background:url(cid:logo@shop)\">") == "<td style=\"background:url(/parts/2)\">")
    }

    @Test func ofTwoIdsDifferingInCaseTheFirstPartWins() {
        for capacity in 1..<40 {  // Dictionaries of other capacities list their keys in other orders.
            var ids = [String: String](minimumCapacity: capacity)
            (ids["A@x"], ids["a@x"], ids["a@X"]) = ("1.10", "1.9", "2")
            let rewritten = ContentIDReferences.rewriting("cid:a@x", contentIDs: ids) { "/parts/\($0)" }
            #expect(rewritten == "/parts/1.9")
        }
    }

    @Test func textAroundAReferenceKeepsItsCharacters() {
        #expect(rewrite("<p>Grüße 📮</p><img src=\"cid:logo@shop\">é") == "<p>Grüße 📮</p><img src=\"/parts/2\">é")
    }

    @Test func unknownIdsAndOtherTextAreLeftAsTheyAre() {
        let html = "<p>Grüße 📮 cid: cid:unknown@x</p><img src=\"cid:logo@shopx\">"
        #expect(rewrite(html) == html)
        #expect(rewrite("") == "")
    }

    @Test func onlyAttributeValuesWhenAsked() {
        let html = #"<img src=cid:logo@shop> <p>see cid:logo@shop</p>"#
        #expect(rewrite(html, attributeValuesOnly: true) == #"<img src=/parts/2> <p>see cid:logo@shop</p>"#)
        #expect(rewrite(html) == #"<img src=/parts/2> <p>see /parts/2</p>"#)
    }
}
