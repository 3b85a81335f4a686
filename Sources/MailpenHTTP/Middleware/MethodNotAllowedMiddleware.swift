import Foundation
import HTTPTypes
import Hummingbird
import MailpenCompat

/// The API's `405 Method Not Allowed` (with `Allow` and a JSON error) for a known path asked with a method
/// it does not have, instead of the router's 404. The paths and methods come from the OpenAPI document,
/// which a test keeps equal to the router.
enum MethodNotAllowedMiddleware {
    static func make<Context: RequestContext>() -> AllowedMethodsMiddleware<Context> {
        var routes: [String: Set<String>] = [:]
        if let data = try? OpenAPIDocument.data(),
            let document = try? JSONSerialization.jsonObject(with: Data(data)) as? [String: Any],
            let paths = document["paths"] as? [String: [String: Any]]
        {
            for (path, item) in paths {
                routes[path] = Set(item.keys.filter { $0 != "parameters" }.map { $0.uppercased() })
            }
        }
        return AllowedMethodsMiddleware(routes) { request, allowed in
            APIError.jsonResponse(
                status: .methodNotAllowed,
                message: "\(request.method) is not allowed on \(request.uri.path); use \(allowed)",
                headers: [.allow: allowed])
        }
    }
}
