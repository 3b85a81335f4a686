import Foundation
import HTTPTypes
import Hummingbird
import NIOCore

/// Answers HEAD like GET without the body, for every GET route (Hummingbird routes HEAD only to routes
/// registered for it). It wraps the router's responder, so the request is routed as GET.
public struct HeadAwareRouter<Base: HTTPResponderBuilder>: HTTPResponderBuilder {
    let base: Base

    public func buildResponder() -> HeadAwareResponder<Base.Responder> {
        HeadAwareResponder(base: base.buildResponder())
    }
}
/// The responder ``HeadAwareRouter`` builds: routes a HEAD request as GET and drops the body of the answer.
public struct HeadAwareResponder<Base: HTTPResponder>: HTTPResponder {
    let base: Base

    public func respond(to request: Request, context: Base.Context) async throws -> Response {
        guard request.method == .head else { return try await base.respond(to: request, context: context) }
        var head = request.head
        head.method = .get
        var response = try await base.respond(to: Request(head: head, body: request.body), context: context)
        response.body = ResponseBody()
        return response
    }
}
