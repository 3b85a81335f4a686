import Testing

@testable import MailpenOutbound

@Suite("Relay target URLs")
struct RelayTargetURLTests {
    @Test func everyParameter() throws {
        let target = try RelayTarget(
            url: "smtp://me%40corp.example:p%40ss%3Aw%2Fo%25rd@smtp.example.com:587?tls=starttls&verify=false"
                + "&auth=cram-md5&from=bounce%2Btag@example.com&allow=*@example.com,team@corp.example"
                + "&deny=ceo@example.com&backoff=1h30m&helo=relay.example&ca=/etc/ssl/staging.pem&timeout=90s")
        #expect(target.host == "smtp.example.com")
        #expect(target.port == 587)
        #expect(target.tls == .startTLS)
        #expect(!target.verifiesCertificate)
        #expect(
            target.authentication
                == SMTPClientAuthentication(mechanism: .cramMD5, username: "me@corp.example", password: "p@ss:w/o%rd"))
        #expect(target.mailFrom == "bounce+tag@example.com")
        #expect(target.allowedRecipients == ["*@example.com", "team@corp.example"])
        #expect(target.deniedRecipients == ["ceo@example.com"])
        #expect(target.backoff == .seconds(5400))
        #expect(target.heloName == "relay.example")
        #expect(target.trustRootsPath == "/etc/ssl/staging.pem")
        #expect(target.timeouts.attempt == .seconds(90))
        #expect(target.timeouts.greeting == SMTPClientTimeouts().greeting)
    }

    @Test func defaults() throws {
        let target = try RelayTarget(url: "smtp://mx.example.com")
        #expect(target.port == 25)
        #expect(target.tls == .startTLS)
        #expect(target.verifiesCertificate)
        #expect(target.authentication == nil)
        #expect(target.mailFrom == nil)
        #expect(target.backoff == nil)
        #expect(target.allowedRecipients.isEmpty)
        #expect(target.timeouts == SMTPClientTimeouts())
        #expect(target.heloName == RelayTarget.defaultHeloName)

        #expect(try RelayTarget(url: "smtp://u:p@mx.example.com/").authentication?.mechanism == .plain)
        #expect(try RelayTarget(url: "smtp://mx:2525?tls=implicit").port == 2525)
        let implicit = try RelayTarget(url: "smtps://mx.example.com")
        #expect(implicit.tls == .implicit)
        #expect(implicit.port == 465)
        #expect(try RelayTarget(url: "SMTP://mx?TLS=None&verify=TRUE").tls == SMTPClientTLSMode.none)
    }

    @Test func ipAddresses() throws {
        let v6 = try RelayTarget(url: "smtp://[::1]:2525?tls=none")
        #expect(v6.host == "::1")
        #expect(v6.port == 2525)
        #expect(try RelayTarget(url: "smtp://127.0.0.1:25").host == "127.0.0.1")
        #expect(OutboundSMTPClient.isIPAddress("::1"))
        #expect(OutboundSMTPClient.isIPAddress("127.0.0.1"))
        #expect(!OutboundSMTPClient.isIPAddress("localhost"))
    }

    @Test func emptyPasswordIsAllowedButMissingIsNot() throws {
        #expect(try RelayTarget(url: "smtp://user:@mx").authentication?.password == "")
        #expect(throws: RelayTargetURLError.missingPassword) { try RelayTarget(url: "smtp://user@mx") }
        #expect(throws: RelayTargetURLError.emptyUsername) { try RelayTarget(url: "smtp://:pw@mx") }
    }

    @Test(
        "invalid URLs give clear errors",
        arguments: [
            ("mx.example.com:25", RelayTargetURLError.notAURL),
            ("http://mx.example.com", .unsupportedScheme("http")),
            ("smtp://", .missingHost),
            ("smtp://:25", .missingHost),
            ("smtp://mx:0", .invalidPort("0")),
            ("smtp://mx:65536", .invalidPort("65536")),
            ("smtp://mx:25x", .invalidPort("25x")),
            ("smtp://mx:", .invalidPort("")),
            ("smtp://mx ex", .invalidCharacter("a space")),
            ("smtp://m_x!", .invalidHost("m_x!")),
            ("smtp://[::1", .invalidHost("[::1")),
            ("smtp://mx/path", .unexpectedPath("/path")),
            ("smtp://mx#frag", .unexpectedFragment),
            (
                "smtp://mx?tls=ssl",
                .invalidValue(parameter: "tls", value: "ssl", expected: "starttls, implicit or none")
            ),
            ("smtp://mx?verify=no", .invalidValue(parameter: "verify", value: "no", expected: "true or false")),
            (
                "smtp://mx?timeout=0s",
                .invalidValue(
                    parameter: "timeout", value: "0s", expected: "a duration such as 90s, 10m or 1h, at most 30 days")
            ),
            (
                "smtp://u:p@mx?auth=xoauth2",
                .invalidValue(parameter: "auth", value: "xoauth2", expected: "plain, login or cram-md5")
            ),
            ("smtp://mx?auth=plain", .authenticationWithoutCredentials),
            ("smtp://mx?verfy=false", .unknownParameter("verfy")),
            ("smtp://mx?tls=none&tls=starttls", .repeatedParameter("tls")),
            ("smtp://mx?verify", .missingValue("verify")),
            ("smtps://mx?tls=starttls", .conflictingTLS("starttls")),
            ("smtp://u:p%zz@mx", .invalidPercentEncoding("password")),
            ("smtp://u%FF:p@mx", .invalidPercentEncoding("username")),
            (
                "smtp://mx?allow=a@x,,b@x",
                .invalidValue(parameter: "allow", value: "a@x,,b@x", expected: "comma-separated patterns, none empty")
            ),
            (
                "smtp://mx?from=%3Cevil%3E",
                .invalidValue(parameter: "from", value: "<evil>", expected: "an address, or <> for the null sender")
            ),
        ])
    func invalid(url: String, expected: RelayTargetURLError) {
        #expect(throws: expected) { try RelayTarget(url: url) }
    }

    @Test func errorsNeverShowThePassword() {
        for url in ["smtp://user:hunter2@mx?verfy=1", "smtp://user:hunter2@mx:99999", "smtp://user:hunter2%@mx"] {
            do {
                _ = try RelayTarget(url: url)
                Issue.record("\(url) should not parse")
            } catch {
                #expect(!error.description.contains("hunter2"), "\(error)")
            }
        }
    }

    @Test func descriptionHidesThePassword() throws {
        let target = try RelayTarget(url: "smtp://me:hunter2@mx.example.com:587?auth=login&verify=false")
        #expect(target.description == "smtp://me:***@mx.example.com:587?tls=starttls&verify=false&auth=login")
        #expect(!String(reflecting: target).contains("hunter2"))
        #expect(!String(reflecting: target.authentication).contains("hunter2"))
    }

    @Test func nullSenderOverride() throws {
        #expect(try RelayTarget(url: "smtp://mx?from=%3C%3E").mailFrom == "")
        #expect(try RelayTarget(url: "smtp://mx?from=<>").mailFrom == "")
    }

    @Test(arguments: [
        ("30s", Duration.seconds(30)), ("45", .seconds(45)), ("5m", .seconds(300)), ("2h", .seconds(7200)),
        ("1d", .seconds(86400)), ("1h30m", .seconds(5400)), ("1500ms", .milliseconds(1500)),
    ])
    func backoffDurations(text: String, expected: Duration) {
        #expect(RelayTarget.parseDuration(text) == expected)
    }

    @Test(arguments: [
        "", "0s", "s", "5x", "1h 30m", "-5s", "31d", "99999999999999999999s", "9223372036854775807d", "1.5h",
    ])
    func invalidBackoffDurations(text: String) {
        #expect(RelayTarget.parseDuration(text) == nil)
    }
}
