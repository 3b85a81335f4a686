import HTTPTypes
import Hummingbird

/// Answers `405 Method Not Allowed` with `Allow` for a known path asked with a method it does not have,
/// instead of the router's 404 for an unknown path. Mailpit's router does this, and so does Mailpen's API
/// (with its own JSON error): each listener gives its paths and how it words the answer.
package struct AllowedMethodsMiddleware<Context: RequestContext>: RouterMiddleware {
    /// The answer for `request`, given the methods its path allows (sorted, comma-separated).
    package typealias Answer = @Sendable (_ request: Request, _ allowed: String) -> Response

    /// Path templates (a parameter segment written `:name` or `{name}`) and their methods.
    let routes: [(segments: [Substring], methods: Set<String>)]
    let answer: Answer

    package init(_ routes: [String: Set<String>], answer: @escaping Answer = Self.plainText) {
        self.routes = routes.map { ($0.key.split(separator: "/"), $0.value) }
        self.answer = answer
    }

    /// Mailpit's answer: `Method Not Allowed` as plain text.
    package static func plainText(_ request: Request, allowed: String) -> Response {
        Response(
            status: .methodNotAllowed, headers: [.allow: allowed, .contentType: "text/plain"],
            body: .init(byteBuffer: .init(string: "Method Not Allowed")))
    }

    package func handle(
        _ request: Request, context: Context, next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as HTTPError where error.status == .notFound {
            let segments = request.uri.path.split(separator: "/")
            guard
                let route = routes.first(where: { route in
                    route.segments.count == segments.count
                        && zip(route.segments, segments).allSatisfy { template, segment in
                            template.hasPrefix(":") || template.hasPrefix("{") || template == segment
                        }
                }), !route.methods.contains(request.method.rawValue)
            else { throw error }
            return answer(request, route.methods.sorted().joined(separator: ", "))
        }
    }
}
