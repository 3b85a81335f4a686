/// Rules comparing the Date header with the time the message was received.
extension BuiltinSpamRules {
    static let dateRules: [BuiltinSpamRule] = {
        var rules: [BuiltinSpamRule] = []
        let future: [(String, Double, Double, Double)] = [
            ("03_06", 3, 6, 2.426), ("06_12", 6, 12, 0.001), ("12_24", 12, 24, 2.489), ("24_48", 24, 48, 1.248),
            ("48_96", 48, 96, 0.813),
        ]
        for (suffix, low, high, score) in future {
            rules.append(
                BuiltinSpamRule(
                    "DATE_IN_FUTURE_" + suffix,
                    score,
                    "Date: is \(Int(low)) to \(Int(high)) hours after Received: date"
                ) { input in
                    guard let hours = input.dateOffsetHours else {
                        return false
                    }
                    return hours >= low && hours < high
                }
            )
        }
        let past: [(String, Double, Double, Double)] = [
            ("03_06", 3, 6, 1.076), ("06_12", 6, 12, 1.103), ("12_24", 12, 24, 0.804), ("24_48", 24, 48, 0.485),
        ]
        for (suffix, low, high, score) in past {
            rules.append(
                BuiltinSpamRule(
                    "DATE_IN_PAST_" + suffix,
                    score,
                    "Date: is \(Int(low)) to \(Int(high)) hours before Received: date"
                ) { input in
                    guard let hours = input.dateOffsetHours else {
                        return false
                    }
                    return -hours >= low && -hours < high
                }
            )
        }
        rules.append(
            BuiltinSpamRule("DATE_IN_PAST_96_XX", 2.07, "Date: is 96 hours or more before Received: date") { input in
                guard let hours = input.dateOffsetHours else {
                    return false
                }
                return -hours >= 96
            }
        )
        return rules
    }()
}
