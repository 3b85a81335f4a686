/// Why a chaos rule or rule set was refused: the message is shown to the API client as it is.
public struct ChaosRuleError: Error, Sendable, Hashable, CustomStringConvertible {
    public var description: String

    public init(_ description: String) {
        self.description = description
    }

    /// The same error about the rule at `index` of a list.
    public func inRule(_ index: Int) -> ChaosRuleError {
        ChaosRuleError("rules[\(index)]: \(description)")
    }
}
