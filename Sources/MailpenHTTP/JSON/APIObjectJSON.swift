import Foundation
import MailpenStore

/// The API's JSON for the objects that events carry (webhook payloads, the SSE stream), so that an event
/// reads as the API would answer.
public enum APIObjectJSON {
    /// A message summary as `GET /api/v1/messages/{id}` lists it.
    public static func summary(_ summary: MessageSummary) -> String {
        SummaryJSON.string(summary)
    }

    /// A relay delivery as `GET /api/v1/deliveries` lists it.
    public static func delivery(_ delivery: Delivery) throws -> String {
        String(decoding: try APIJSON.encoder.encode(DeliveryResource(delivery)), as: UTF8.self)
    }
}
