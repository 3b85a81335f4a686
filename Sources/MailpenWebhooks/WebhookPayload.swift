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
        object(
            event: .deleted, inbox: inbox,
            fields: [("ids", JSONString.quotedArray(ids)), ("all", all ? "true" : "false")])
    }

    /// `{"event":"delivery","inbox":…,"delivery":<delivery>}`.
    public static func delivery(inbox: String, deliveryJSON: String) -> String {
        object(event: .delivery, inbox: inbox, fields: [("delivery", deliveryJSON)])
    }

    private static func object(event: Webhook.Event, inbox: String, fields: [(String, String)]) -> String {
        var parts = ["\"event\":\(JSONString.quoted(event.rawValue))", "\"inbox\":\(JSONString.quoted(inbox))"]
        for (name, json) in fields { parts.append("\(JSONString.quoted(name)):\(json)") }
        return "{" + parts.joined(separator: ",") + "}"
    }
}
