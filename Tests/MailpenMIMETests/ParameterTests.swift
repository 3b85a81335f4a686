import MailpenMIME
import Testing

@Suite("Content-Type and Content-Disposition parameters")
struct ParameterTests {
    struct Case: CustomTestStringConvertible, Sendable {
        let input: String
        let mimeType: String?
        let parameters: [String: String]
        var testDescription: String { self.input }
    }

    static let cases: [Case] = [
        Case(input: "text/plain", mimeType: "text/plain", parameters: [:]),
        Case(input: "TEXT/HTML; CHARSET=UTF-8", mimeType: "text/html", parameters: ["charset": "UTF-8"]),
        Case(
            input: "text/plain; charset=\"utf-8\"; format=flowed", mimeType: "text/plain",
            parameters: ["charset": "utf-8", "format": "flowed"]),
        Case(
            input: "multipart/mixed;\r\n\tboundary=\"----=_Part_1\"", mimeType: "multipart/mixed",
            parameters: ["boundary": "----=_Part_1"]),
        Case(
            input: "multipart/mixed; boundary=simple;", mimeType: "multipart/mixed", parameters: ["boundary": "simple"]),
        Case(
            input: "multipart/mixed;boundary=a;;charset = x", mimeType: "multipart/mixed",
            parameters: ["boundary": "a", "charset": "x"]),
        Case(input: "multipart/mixed boundary=b", mimeType: "multipart/mixed", parameters: ["boundary": "b"]),
        Case(
            input: "text/plain (comment); charset=us-ascii", mimeType: "text/plain", parameters: ["charset": "us-ascii"]
        ),
        Case(input: "text/plain; name=My File.txt", mimeType: "text/plain", parameters: ["name": "My File.txt"]),
        Case(input: "text/plain; name=\"a\\\"b\"", mimeType: "text/plain", parameters: ["name": "a\"b"]),
        Case(input: "text/plain; name=\"unterminated", mimeType: "text/plain", parameters: ["name": "unterminated"]),
        Case(input: "text/plain; charset=a; charset=b", mimeType: "text/plain", parameters: ["charset": "a"]),
        // RFC 2231.
        Case(
            input: "application/x-stuff; title*=us-ascii'en-us'This%20is%20%2A%2A%2Afun%2A%2A%2A",
            mimeType: "application/x-stuff", parameters: ["title": "This is ***fun***"]),
        Case(
            input:
                "application/x-stuff; title*0*=us-ascii'en'This%20is%20even%20more%20; title*1*=%2A%2A%2Afun%2A%2A%2A%20; title*2=\"isn't it!\"",
            mimeType: "application/x-stuff", parameters: ["title": "This is even more ***fun*** isn't it!"]
        ),
        Case(
            input: "application/pdf; name*=utf-8''r%C3%A9sum%C3%A9.pdf; name=\"fallback.pdf\"",
            mimeType: "application/pdf", parameters: ["name": "résumé.pdf"]),
        Case(
            input: "application/pdf; name*=iso-8859-1''%E9t%E9.pdf", mimeType: "application/pdf",
            parameters: ["name": "été.pdf"]),
        Case(
            input: "application/pdf; name*1=\"b\"; name*0=\"a\"", mimeType: "application/pdf",
            parameters: ["name": "ab"]),
        Case(
            input: "application/pdf; name*0*=''%41; name*1*=%4", mimeType: "application/pdf",
            parameters: ["name": "A%4"]),
        // RFC 2047 in quoted names (Outlook, Gmail).
        Case(
            input: "application/pdf; name=\"=?UTF-8?B?UsOpc3Vtw6kucGRm?=\"", mimeType: "application/pdf",
            parameters: ["name": "Résumé.pdf"]),
        Case(
            input: "application/pdf; name==?UTF-8?Q?R=C3=A9sum=C3=A9.pdf?=", mimeType: "application/pdf",
            parameters: ["name": "Résumé.pdf"]),
        // A boundary that happens to contain "=?" is left alone.
        Case(
            input: "multipart/mixed; boundary=\"=?not-a-word?=\"", mimeType: "multipart/mixed",
            parameters: ["boundary": "=?not-a-word?="]),
        // Invalid types.
        Case(input: "text", mimeType: nil, parameters: [:]),
        Case(input: "", mimeType: nil, parameters: [:]),
        Case(input: "/plain", mimeType: nil, parameters: [:]),
        Case(input: "text/", mimeType: nil, parameters: [:]),
        Case(input: "text/plain/extra", mimeType: nil, parameters: [:]),
        Case(input: "te(x)t/plain", mimeType: nil, parameters: [:]),
    ]

    @Test("Content-Type", arguments: cases)
    func contentType(testCase: Case) {
        let parsed = MIMEContentType.parse(testCase.input)
        #expect(parsed?.mimeType == testCase.mimeType)
        if testCase.mimeType != nil {
            #expect(parsed?.parameters == testCase.parameters)
        }
    }

    @Test(
        "filenames on parts",
        arguments: [
            ("Content-Disposition: attachment; filename=\"a.pdf\"", "a.pdf", "attachment"),
            ("Content-Disposition: ATTACHMENT; FILENAME=a.pdf", "a.pdf", "attachment"),
            ("Content-Disposition: inline; filename*=UTF-8''%E2%82%AC.txt", "€.txt", "inline"),
            (
                "Content-Disposition: attachment;\r\n filename*0*=utf-8''na%C3%AFve;\r\n filename*1=\" file.pdf\"",
                "naïve file.pdf", "attachment"
            ),
            (
                "Content-Disposition: attachment; filename=\"=?ISO-8859-1?B?U2No9m5lLnppcA==?=\"", "Schöne.zip",
                "attachment"
            ),
            ("Content-Type: application/octet-stream; name=\"from-type.bin\"", "from-type.bin", nil),
            ("Content-Disposition: attachment; filename=\"  spaced.txt  \"", "spaced.txt", "attachment"),
            ("Content-Disposition: attachment; filename=\"\"", nil, "attachment"),
        ] as [(String, String?, String?)]
    )
    func filenames(header: String, filename: String?, disposition: String?) {
        let mail =
            header.hasPrefix("Content-Type")
            ? message(header, "", "x") : message("Content-Type: application/octet-stream", header, "", "x")
        #expect(mail.root.filename == filename)
        #expect(mail.root.disposition == disposition)
    }

    @Test("disposition filename wins over type name")
    func dispositionWins() {
        let mail = message(
            "Content-Type: application/pdf; name=\"type.pdf\"",
            "Content-Disposition: attachment; filename=\"disp.pdf\"", "", "x"
        )
        #expect(mail.root.filename == "disp.pdf")
    }

    @Test(
        "transfer encodings and content ids",
        arguments: [
            ("Content-Transfer-Encoding: BASE64", "base64", [MIMEProblem]()),
            ("Content-Transfer-Encoding:  Quoted-Printable ", "quoted-printable", []),
            ("Content-Transfer-Encoding: 8bit (comment)", "8bit", []),
            ("Content-Transfer-Encoding: 8-bit", "8-bit", [.invalidTransferEncoding("8-bit")]),
            ("X-Nothing: 1", "7bit", []),
        ]
    )
    func transferEncodings(header: String, expected: String, problems: [MIMEProblem]) {
        let mail = message("Content-Type: application/octet-stream", header, "", "x")
        #expect(mail.root.transferEncoding == expected)
        #expect(mail.root.problems == problems)
    }

    @Test("content id without brackets")
    func contentID() {
        #expect(message("Content-ID: <img.1@x.y>", "", "").root.contentID == "img.1@x.y")
        #expect(message("Content-ID: bare-id", "", "").root.contentID == "bare-id")
    }
}
