import Foundation
import HTTPTypes
import Hummingbird
import NIOCore

/// Counts HTTP requests by route and status. A request whose client went away before the answer (a
/// cancelled wait) counts as 499, nginx's "client closed request", not as a server error.
struct MetricsMiddleware<Context: RequestContext>: RouterMiddleware {
    let metrics: MailpenMetrics

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws
        -> Response
    {
        do {
            let response = try await next(request, context)
            metrics.httpRequest(
                route: context.endpointPath ?? "unmatched", method: request.method.rawValue,
                status: response.status.code)
            return response
        } catch is CancellationError {
            metrics.httpRequest(
                route: context.endpointPath ?? "unmatched", method: request.method.rawValue, status: 499)
            throw CancellationError()
        } catch {
            let status = (error as? any HTTPResponseError)?.status.code ?? 500
            metrics.httpRequest(
                route: context.endpointPath ?? "unmatched", method: request.method.rawValue, status: status)
            throw error
        }
    }
}
