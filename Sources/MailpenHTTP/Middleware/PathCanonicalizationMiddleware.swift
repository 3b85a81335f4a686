import Hummingbird

/// Rewrites a request's path to the form the router matches: the router skips empty segments, so `//api/v1/x`
/// and `/api/v1/x/` reach the route of `/api/v1/x`. Every check that reads the path (which inbox a credential
/// may reach, the probes, the web UI's files) must see that same form, or a doubled slash would walk past it.
struct PathCanonicalizationMiddleware<Context: RequestContext>: RouterMiddleware {
    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws
        -> Response
    {
        let path = request.uri.path
        // Nearly every path is in that form already: tell so without building another.
        if path.first == "/", !path.contains("//"), path == "/" || path.last != "/" {
            return try await next(request, context)
        }
        let canonical = "/" + path.split(separator: "/", omittingEmptySubsequences: true).joined(separator: "/")
        guard canonical != path else { return try await next(request, context) }
        var head = request.head
        head.path = canonical + (request.uri.query.map { "?" + $0 } ?? "")
        return try await next(Request(head: head, body: request.body), context)
    }
}
