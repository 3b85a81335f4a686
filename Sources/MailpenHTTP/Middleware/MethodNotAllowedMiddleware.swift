import Foundation
import HTTPTypes
import Hummingbird
import NIOCore

/// Answers `405 Method Not Allowed` (with `Allow`) for a known path asked with a method it does not have,
/// instead of the router's 404. The paths and methods come from the OpenAPI document, which a test keeps
/// equal to the router.
struct MethodNotAllowedMiddleware<Context: RequestContext>: RouterMiddleware {
    private let operations: [(segments: [Substring], methods: Set<String>)]

    init() {
        var operations: [(segments: [Substring], methods: Set<String>)] = []
        if let data = try? OpenAPIDocument.data(),
            let document = try? JSONSerialization.jsonObject(with: Data(data)) as? [String: Any],
            let paths = document["paths"] as? [String: [String: Any]]
        {
            for (path, item) in paths {
                let methods = Set(item.keys.filter { $0 != "parameters" }.map { $0.uppercased() })
                operations.append((path.split(separator: "/"), methods))
            }
        }
        self.operations = operations
    }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws
        -> Response
    {
        do {
            return try await next(request, context)
        } catch let error as HTTPError where error.status == .notFound {
            let segments = request.uri.path.split(separator: "/")
            let allowed = operations.first { operation in
                operation.segments.count == segments.count
                    && zip(operation.segments, segments).allSatisfy { $0.hasPrefix("{") || $0 == $1 }
            }
            guard let allowed, !allowed.methods.contains(request.method.rawValue) else { throw error }
            let list = allowed.methods.sorted().joined(separator: ", ")
            return APIError.jsonResponse(
                status: .methodNotAllowed,
                message: "\(request.method) is not allowed on \(request.uri.path); use \(list)",
                headers: [.allow: list])
        }
    }
}
