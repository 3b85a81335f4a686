import Foundation
import HTTPTypes
import Hummingbird
import NIOCore

/// Requires HTTP basic credentials (`--ui-auth user:password`) for every request, UI and API alike, except
/// `/healthz`, which liveness probes must reach without credentials (it tells nothing about the mail).
struct BasicAuthenticationMiddleware<Context: RequestContext>: RouterMiddleware {
    let expected: String

    init(credentials: String) {
        expected = "Basic " + Data(credentials.utf8).base64EncodedString()
    }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        if request.uri.path == "/healthz" { return try await next(request, context) }
        guard let given = request.headers[.authorization], Self.constantTimeEqual(given, expected) else {
            return APIError.jsonResponse(
                status: .unauthorized, message: "authentication required",
                headers: [.wwwAuthenticate: "Basic realm=\"Mailpen\", charset=\"UTF-8\""])
        }
        return try await next(request, context)
    }

    private static func constantTimeEqual(_ lhs: String, _ rhs: String) -> Bool {
        let left = Array(lhs.utf8)
        let right = Array(rhs.utf8)
        guard left.count == right.count else { return false }
        var difference: UInt8 = 0
        for index in left.indices { difference |= left[index] ^ right[index] }
        return difference == 0
    }
}
