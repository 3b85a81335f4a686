import Testing

@testable import MailpenMIME

@Suite("Transfer encodings")
struct TransferEncodingTests {
    @Test(
        "base64",
        arguments: [
            ("aGVsbG8=", "hello"),
            ("aGVs\r\nbG8=", "hello"),
            ("aGVs bG8=\r\n", "hello"),
            ("aGVsbG8", "hello"),  // missing padding
            ("aGVs!bG8*=", "hello"),  // junk skipped
            ("aGVsbG8=aGVsbG8=", "hello"),  // data after completed padding is ignored
            ("aGVsbA==", "hell"),
            ("aGVsbA", "hell"),
            ("aGVsb", "hel"),  // a dangling sixth of a byte is dropped
            ("=aGVsbG8=", "hello"),  // stray leading "=" ignored
            ("", ""),
        ]
    )
    func base64(input: String, expected: String) {
        let bytes = Array(input.utf8)
        let decoded = Base64.decode(bytes)
        #expect(String(decoding: decoded, as: UTF8.self) == expected)
        #expect(bytes.withUnsafeBufferPointer { Base64.decodedCount($0) } == decoded.count)
    }

    @Test(
        "quoted-printable",
        arguments: [
            ("caf=C3=A9", "café"),
            ("caf=c3=a9", "café"),  // lower-case hex
            ("soft=\r\nbreak", "softbreak"),
            ("soft=\nbreak", "softbreak"),
            ("padded= \t\r\nbreak", "paddedbreak"),  // transport padding after "="
            ("broken =ZZ escape", "broken =ZZ escape"),
            ("double == kept", "double == kept"),
            ("2+2=4", "2+2=4"),
            ("trailing=", "trailing"),
            ("a=\rb\nc", "ac"),
            ("tab\tand  spaces  ", "tab\tand  spaces  "),
            ("=3D=3d", "=="),
            ("= x", "= x"),
            ("=A", "=A"),
        ]
    )
    func quotedPrintable(input: String, expected: String) {
        let bytes = Array(input.utf8)
        let decoded = QuotedPrintable.decode(bytes)
        #expect(String(decoding: decoded, as: UTF8.self) == expected)
        #expect(bytes.withUnsafeBufferPointer { QuotedPrintable.decodedCount($0) } == decoded.count)
    }

    @Test("decodedCount matches decode on random input")
    func countsMatch() {
        var generator = SystemRandomNumberGenerator()
        let alphabet = Array("AZaz09+/= \t\r\n=-!.ZZ3Dc3".utf8)
        for _ in 0..<2000 {
            let length = Int.random(in: 0..<64, using: &generator)
            let bytes = (0..<length).map { _ in alphabet.randomElement(using: &generator) ?? 0 }
            bytes.withUnsafeBufferPointer { buffer in
                #expect(Base64.decodedCount(buffer) == Base64.decode(buffer).count)
                #expect(QuotedPrintable.decodedCount(buffer) == QuotedPrintable.decode(buffer).count)
            }
        }
    }

    @Test("parts report their decoded size and decode on demand")
    func partSizes() {
        let mail = crlfMessage(
            """
            Content-Type: multipart/mixed; boundary=b

            --b
            Content-Type: application/octet-stream
            Content-Transfer-Encoding: base64

            AAECAwQF
            BgcICQ==
            --b
            Content-Type: text/plain; charset=utf-8
            Content-Transfer-Encoding: quoted-printable

            caf=C3=A9 au=
             lait
            --b
            Content-Type: text/plain
            Content-Transfer-Encoding: binary

            raw
            --b--
            """
        )
        let parts = mail.root.children
        #expect(parts.map(\.decodedSize) == [10, 13, 3])
        #expect(mail.decodedBody(ofPartWithID: "1") == Array(0..<10))
        #expect(mail.decodedText(of: parts[1]) == "café au lait")
        #expect(mail.decodedBody(ofPartWithID: "9") == nil)
    }
}
