import Foundation
import GRDB

/// A stored message with everything kept about it: summary, envelope and the exact bytes.
public struct StoredMessage: Sendable {
    public var summary: MessageSummary
    public var envelope: MessageEnvelope
    public var raw: [UInt8]

    package init(summary: MessageSummary, envelope: MessageEnvelope, raw: [UInt8]) {
        self.summary = summary
        self.envelope = envelope
        self.raw = raw
    }
}
