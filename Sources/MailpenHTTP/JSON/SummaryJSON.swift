import Foundation
import Hummingbird
import MailpenStore
import NIOCore

/// Writes a message summary as the API's encoder would, byte for byte, without `JSONEncoder`.
///
/// Summaries are written for every message a webhook announces and for every row of a list page; there the
/// generic encoder (boxing each field, sorting keys at run time) costs more than everything else about the
/// object. Keys come out sorted and strings escaped exactly as `APIJSON.encoder` does, which a test checks.
enum SummaryJSON {
    /// `summary` as the JSON object `SummaryResource` encodes to.
    static func string(_ summary: MessageSummary) -> String {
        var json = ""
        json.reserveCapacity(256 + summary.subject.utf8.count + summary.snippet.utf8.count)
        append(summary, to: &json)
        return json
    }

    /// A list of summaries as a JSON array.
    static func append(_ summaries: [MessageSummary], to json: inout String) {
        json += "["
        for (position, summary) in summaries.enumerated() {
            if position > 0 { json += "," }
            append(summary, to: &json)
        }
        json += "]"
    }

    /// A 200 carrying `json`, with the content type the API's encoder gives.
    static func response(_ json: String) -> Response {
        Response(
            status: .ok, headers: [.contentType: "application/json; charset=utf-8"],
            body: ResponseBody(byteBuffer: ByteBuffer(string: json)))
    }

    static func append(_ summary: MessageSummary, to json: inout String) {
        json += "{\"attachmentCount\":"
        json += String(summary.attachmentCount)
        json += ",\"cc\":"
        append(summary.cc, to: &json)
        json += ",\"from\":"
        if let from = summary.from { append(from, to: &json) } else { json += "null" }
        json += ",\"id\":"
        JSONString.append(summary.id, to: &json)
        json += ",\"inbox\":"
        JSONString.append(summary.inbox, to: &json)
        json += summary.isRead ? ",\"read\":true" : ",\"read\":false"
        json += ",\"receivedAt\":\""
        json += RFC3339.string(from: summary.receivedAt)
        json += "\",\"size\":"
        json += String(summary.size)
        json += ",\"snippet\":"
        JSONString.append(summary.snippet, to: &json)
        json += ",\"subject\":"
        JSONString.append(summary.subject, to: &json)
        json += ",\"tags\":["
        for (position, tag) in summary.tags.enumerated() {
            if position > 0 { json += "," }
            JSONString.append(tag, to: &json)
        }
        json += "],\"to\":"
        append(summary.to, to: &json)
        json += "}"
    }

    private static func append(_ addresses: [MessageAddress], to json: inout String) {
        json += "["
        for (position, address) in addresses.enumerated() {
            if position > 0 { json += "," }
            append(address, to: &json)
        }
        json += "]"
    }

    private static func append(_ address: MessageAddress, to json: inout String) {
        json += "{\"address\":"
        JSONString.append(address.address, to: &json)
        json += ",\"name\":"
        if let name = address.name { JSONString.append(name, to: &json) } else { json += "null" }
        json += "}"
    }
}
