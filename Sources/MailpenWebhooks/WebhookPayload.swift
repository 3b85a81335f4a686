import Foundation
import MailpenStore

/// Builds the JSON bodies webhooks receive, `{"event": ..., "inbox": ..., <subject>}`, around objects the
/// API has already encoded (a message summary, a relay delivery) so that they read exactly as the API's.
public enum WebhookPayload {
    /// `{"event":"stored","inbox":…,"message":<summary>}`.
    public static func stored(inbox: String, summaryJSON: String) -> String {
        object(event: .stored, inbox: inbox, fields: [("message", summaryJSON)])
    }

    /// `{"event":"deleted","inbox":…,"ids":[…],"all":false}`; `all` is true, with no ids, when the whole
    /// inbox was emptied.
    public static func deleted(inbox: String, ids: [String], all: Bool) -> String {
        let list = "[" + ids.map(quoted).joined(separator: ",") + "]"
        return object(event: .deleted, inbox: inbox, fields: [("ids", list), ("all", all ? "true" : "false")])
    }

    /// `{"event":"delivery","inbox":…,"delivery":<delivery>}`.
    public static func delivery(inbox: String, deliveryJSON: String) -> String {
        object(event: .delivery, inbox: inbox, fields: [("delivery", deliveryJSON)])
    }

    private static func object(event: Webhook.Event, inbox: String, fields: [(String, String)]) -> String {
        var parts = ["\"event\":\(quoted(event.rawValue))", "\"inbox\":\(quoted(inbox))"]
        for (name, json) in fields { parts.append("\(quoted(name)):\(json)") }
        return "{" + parts.joined(separator: ",") + "}"
    }

    /// `text` as a JSON string literal: quotes, backslashes and control characters escaped (written by hand,
    /// as this runs for every event and a `JSONEncoder` per string costs more than the rest of the event).
    static func quoted(_ text: String) -> String {
        var result = "\""
        result.reserveCapacity(text.utf8.count + 2)
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": result += "\\\""
            case "\\": result += "\\\\"
            case "\n": result += "\\n"
            case "\r": result += "\\r"
            case "\t": result += "\\t"
            case _ where scalar.value < 0x20:
                let hex = String(scalar.value, radix: 16)
                result += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: result.unicodeScalars.append(scalar)
            }
        }
        return result + "\""
    }
}
