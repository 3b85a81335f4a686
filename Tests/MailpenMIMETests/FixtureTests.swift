import MailpenMIME
import Testing

/// Expectations about specific fixtures beyond what the differential test covers
/// (problems flags, views Python has no equivalent for).
@Suite("Fixtures")
struct FixtureTests {
    static func load(_ name: String) -> MIMEMessage {
        MIMEMessage(Fixtures.data(name))
    }

    @Test("every fixture parses with a subject and a body or attachment", arguments: Fixtures.names)
    func parses(name: String) {
        let mail = Self.load(name)
        #expect(!mail.raw.isEmpty)
        #expect(mail.subject != nil)
        for part in mail.allParts {
            #expect(mail.part(withID: part.id)?.bodyRange == part.bodyRange)
        }
    }

    @Test("problems are reported where the fixtures are broken")
    func problems() {
        func problems(_ name: String) -> [MIMEProblem] {
            Self.load(name).problems.map(\.problem)
        }
        #expect(problems("missing-final-boundary.eml") == [.missingFinalBoundary, .missingFinalBoundary])
        #expect(problems("boundary-not-found.eml") == [.boundaryNotFound])
        #expect(problems("multipart-no-boundary-param.eml") == [.boundaryNotFound])
        #expect(problems("bare-lf-php-mail.eml").contains(.bareLF))
        #expect(problems("eight-bit-headers-latin1.eml") == [.eightBitHeader])
        #expect(problems("malformed-header-line.eml") == [.malformedHeader(line: 4)])
        #expect(problems("invalid-content-type-and-encoding.eml") == [.invalidTransferEncoding("8-bit")])
        #expect(problems("wrong-charsets.eml").contains(.invalidCharsetData("utf-8")))
        #expect(problems("wrong-charsets.eml").contains(.unknownCharset("x-unknown-legacy")))
        #expect(problems("gmail-alternative.eml").isEmpty)
        #expect(problems("outlook-calendar-invite.eml").isEmpty)
    }

    @Test("forwarded three deep")
    func forwarded() {
        let mail = Self.load("forwarded-nested-three-deep.eml")
        let innermost = mail.part(withID: "2.2.2.1")
        #expect(innermost.flatMap(mail.decodedText(of:)) == "Does anyone know where the “golden” config lives?\n")
        #expect(mail.part(withID: "2.2.0")?.header["subject"] == "Fwd: The original question")
    }

    @Test("calendar invite and signed mail list their non-body parts")
    func attachments() {
        #expect(Self.load("outlook-calendar-invite.eml").attachments.map(\.contentType) == ["text/calendar"])
        #expect(Self.load("pgp-mime-signed.eml").attachments.map(\.filename) == ["signature.asc"])
        #expect(Self.load("thunderbird-smime-signed.eml").attachments.map(\.filename) == ["smime.p7s"])
        #expect(
            Self.load("dsn-postfix-bounce.eml").attachments.map(\.contentType) == [
                "message/delivery-status", "message/rfc822",
            ])
    }

    @Test("encoded filenames in both styles")
    func filenames() {
        #expect(
            Self.load("outlook-encoded-filenames.eml").attachments.map(\.filename)
                == ["見積書_2024-03.docx", "Preisliste März 2024.xlsx"]
        )
        #expect(
            Self.load("thunderbird-rfc2231-continuation.eml").attachments.map(\.filename)
                == ["Compte rendu de la réunion du 18 mars 2024.odt"]
        )
    }

    @Test("snippets of typical mail")
    func snippets() {
        #expect(Self.load("sendgrid-password-reset.eml").snippet.hasPrefix("Reset your password Hi Nina,"))
        #expect(
            Self.load("mailchimp-html-only-base64.eml").snippet.hasPrefix(
                "Spring collection – 20% off this week Spring is here"))
        #expect(
            Self.load("github-notification.eml").htmlText.contains(
                "view it on GitHub (https://github.example/acme/widgets/pull/512#pullrequestreview-1987654321)"))
    }
}
