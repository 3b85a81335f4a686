import HTTPTypes
import Hummingbird

/// Answers `405 Method Not Allowed` with `Allow` for a known compatibility path asked with another method,
/// as Mailpit's router does, instead of the 404 of an unknown path.
struct AllowedMethodsMiddleware<Context: RequestContext>: RouterMiddleware {
    /// Path templates (`:name` for a parameter) and their methods.
    let routes: [(segments: [Substring], methods: Set<String>)]

    init(_ routes: [String: Set<String>]) {
        self.routes = routes.map { ($0.key.split(separator: "/"), $0.value) }
    }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws
        -> Response
    {
        do {
            return try await next(request, context)
        } catch let error as HTTPError where error.status == .notFound {
            let segments = request.uri.path.split(separator: "/")
            guard
                let route = routes.first(where: { route in
                    route.segments.count == segments.count
                        && zip(route.segments, segments).allSatisfy { $0.hasPrefix(":") || $0 == $1 }
                }), !route.methods.contains(request.method.rawValue)
            else { throw error }
            let allowed = route.methods.sorted().joined(separator: ", ")
            return Response(
                status: .methodNotAllowed, headers: [.allow: allowed, .contentType: "text/plain"],
                body: .init(byteBuffer: .init(string: "Method Not Allowed")))
        }
    }
}
