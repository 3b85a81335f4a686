import MailpenSMTP
import MailpenSMTPCore
import Testing

@Suite("Checking AUTH credentials against a password")
struct SMTPCredentialsVerificationTests {
    @Test func cramMD5DigestFromRFC2195() {
        // RFC 2195's example: its challenge, and the digest for the password "tanstaaftanstaaf".
        let credentials = SMTPCredentials.challengeResponse(
            username: "tim", challenge: "<1896.697170952@postoffice.reston.mci.net>",
            digest: "b913a602c7eda7a495b4e6e7334d3890")
        #expect(credentials.isValid(forPassword: "tanstaaftanstaaf"))
        #expect(!credentials.isValid(forPassword: "wrong"))
        // Clients write the hex digest in either case.
        let upperCase = SMTPCredentials.challengeResponse(
            username: "tim", challenge: "<1896.697170952@postoffice.reston.mci.net>",
            digest: "B913A602C7EDA7A495B4E6E7334D3890")
        #expect(upperCase.isValid(forPassword: "tanstaaftanstaaf"))
    }

    @Test func plainPassword() {
        let credentials = SMTPCredentials.password(username: "shop", password: "secret")
        #expect(credentials.isValid(forPassword: "secret"))
        #expect(!credentials.isValid(forPassword: "secret "))
        #expect(!credentials.isValid(forPassword: ""))
    }
}
