import MailpenChaos
import Testing

@testable import MailpenCompat

@Suite("Mailpit chaos triggers")
struct MailpitChaosTests {
    private func rules(_ body: String) throws(ChaosRuleError) -> ChaosRuleSet {
        try MailpitChaos.ruleSet(fromBody: Array(body.utf8))
    }

    @Test func aTriggerBecomesARule() throws {
        let set = try rules(#"{"Sender": {"ErrorCode": 452, "Probability": 30}}"#)
        #expect(MailpitChaos.triggers(of: set).sender == .init(errorCode: 452, probability: 30))
    }

    /// Numbers are taken exactly: one past `Int`, or a fraction, is refused rather than wrapped or rounded
    /// into the range.
    @Test(arguments: [
        #"{"Sender": {"ErrorCode": 18446744073709552067, "Probability": 50}}"#,
        #"{"Sender": {"ErrorCode": 451, "Probability": 18446744073709551716}}"#,
        #"{"Sender": {"ErrorCode": 99999999999999999999, "Probability": 50}}"#,
        #"{"Sender": {"ErrorCode": 1e308, "Probability": 50}}"#,
        #"{"Sender": {"ErrorCode": 451.5, "Probability": 50}}"#,
        #"{"Sender": {"ErrorCode": 451, "Probability": 0.5}}"#,
    ])
    func numbersOutOfRangeOrNotWholeAreRefused(body: String) {
        #expect(throws: ChaosRuleError.self) { try rules(body) }
    }
}
