import Foundation
import Hummingbird
import Testing

@testable import MailpenHTTP

@Suite("OpenAPI document")
struct OpenAPIAgreementTests {
    /// `METHOD /path/{param}` for every operation the document describes.
    static func documentedOperations() throws -> Set<String> {
        let document = try #require(
            try JSONSerialization.jsonObject(with: Data(OpenAPIDocument.data())) as? [String: Any])
        let paths = try #require(document["paths"] as? [String: [String: Any]])
        var operations = Set<String>()
        for (path, item) in paths {
            for method in item.keys where ["get", "post", "put", "patch", "delete", "head", "options"].contains(method)
            {
                operations.insert("\(method.uppercased()) \(path)")
            }
        }
        return operations
    }

    /// The same for the router, with `:param` written `{param}`.
    static func routedOperations() async throws -> Set<String> {
        try await withAPIFixture { fixture in
            let router = MailpenHTTP.makeRouter(fixture.dependencies())
            return Set(
                router.routes.map { route in
                    let path = "\(route.path)".split(separator: "/").map { segment in
                        segment.hasPrefix(":") ? "{\(segment.dropFirst())}" : String(segment)
                    }.joined(separator: "/")
                    return "\(route.method) /\(path)"
                })
        }
    }

    @Test func everyRouteIsDocumentedAndEveryDocumentedRouteExists() async throws {
        let documented = try Self.documentedOperations()
        let routed = try await Self.routedOperations()
        #expect(
            routed.subtracting(documented).isEmpty,
            "routes missing from the document: \(routed.subtracting(documented).sorted())")
        #expect(
            documented.subtracting(routed).isEmpty,
            "documented but not routed: \(documented.subtracting(routed).sorted())")
        #expect(documented.count >= 25)
    }

    @Test func everyReferencedSchemaExists() throws {
        let text = String(decoding: try OpenAPIDocument.data(), as: UTF8.self)
        let document = try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
        let schemas = try #require((document["components"] as? [String: Any])?["schemas"] as? [String: Any])
        let references = text.components(separatedBy: "#/components/schemas/").dropFirst().map {
            $0.prefix { $0 != "\"" }
        }
        for reference in references {
            #expect(schemas[String(reference)] != nil, "missing schema \(reference)")
        }
    }
}
