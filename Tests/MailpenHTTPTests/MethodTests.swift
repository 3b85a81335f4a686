import Foundation
import HTTPTypes
import HummingbirdTesting
import MailpenStore
import NIOCore
import Testing

@testable import MailpenHTTP

@Suite("HEAD and methods")
struct MethodTests {
    @Test func headAnswersLikeGetWithoutABody() async throws {
        try await withAPI { _, client in
            let head = try await client.execute(uri: "/api/v1/inboxes", method: .head)
            #expect(head.status == .ok)
            #expect(head.headers[.contentType]?.hasPrefix("application/json") == true)
            #expect(head.body.readableBytes == 0)
        }
    }

    @Test func wrongMethodIs405WithAllow() async throws {
        try await withAPI { _, client in
            let response = try await client.execute(uri: "/api/v1/inboxes", method: .put)
            #expect(response.status == .methodNotAllowed)
            #expect(response.headers[.allow] == "GET, POST")
            #expect(try response.errorMessage.contains("use GET, POST"))
        }
    }
}
