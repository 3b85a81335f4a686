import Foundation
import HummingbirdTesting
import NIOCore

extension TestResponse {
    /// The body as a JSON object. A body that is not one throws, so that a test never reads an empty object
    /// in its place.
    var json: [String: Any] {
        get throws { try parsedBody(as: [String: Any].self) }
    }

    /// The body as a JSON array of objects; anything else throws.
    var jsonArray: [[String: Any]] {
        get throws { try parsedBody(as: [[String: Any]].self) }
    }

    var text: String { String(buffer: body) }

    /// The API's `{"error": "..."}` message; a body without one throws.
    var errorMessage: String {
        get throws {
            guard let message = try json["error"] as? String else {
                throw UnexpectedBody(expected: "an error", body: text)
            }
            return message
        }
    }

    private func parsedBody<Shape>(as shape: Shape.Type) throws -> Shape {
        let parsed: Any
        do {
            parsed = try JSONSerialization.jsonObject(with: Data(body.readableBytesView))
        } catch {
            throw UnexpectedBody(expected: "JSON (\(error))", body: text)
        }
        guard let value = parsed as? Shape else { throw UnexpectedBody(expected: "\(Shape.self)", body: text) }
        return value
    }
}

/// A response body that is not what the test reads it as.
struct UnexpectedBody: Error, CustomStringConvertible {
    var expected: String
    var body: String

    var description: String { "expected \(expected) in the body, got: \(body.prefix(500))" }
}

extension ByteBuffer {
    init(json: String) {
        self.init(string: json)
    }
}
