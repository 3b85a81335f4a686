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

/// Serves the web UI from a folder: `/` is `index.html`; other paths map to files. API paths, health and
/// metrics are left to the router. Only regular files inside the folder are served: no dotfiles, and no
/// symbolic link that leads out of it.
struct WebUIMiddleware<Context: RequestContext>: RouterMiddleware {
    let root: URL

    init(root: String) {
        self.root = URL(fileURLWithPath: root, isDirectory: true).resolvingSymlinksInPath().standardizedFileURL
    }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let path = request.uri.path
        guard request.method == .get || request.method == .head,
            !path.hasPrefix("/api/"), path != "/healthz", path != "/metrics",
            let file = file(for: path), let data = FileManager.default.contents(atPath: file.path)
        else { return try await next(request, context) }
        var headers = WebUIContentTypes.securityHeaders
        headers[.contentType] = WebUIContentTypes.byExtension[file.pathExtension.lowercased()] ?? "application/octet-stream"
        let body = request.method == .head ? ByteBuffer() : ByteBuffer(bytes: data)
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: body))
    }

    /// The regular file a path names inside the folder, if it may be served.
    func file(for path: String) -> URL? {
        let relative = path == "/" ? "index.html" : String(path.dropFirst())
        let components = relative.split(separator: "/", omittingEmptySubsequences: false)
        guard !components.isEmpty, !components.contains(where: { $0.isEmpty || $0.hasPrefix(".") }) else { return nil }
        let file = root.appendingPathComponent(relative).resolvingSymlinksInPath().standardizedFileURL
        var isDirectory: ObjCBool = false
        guard file.path.hasPrefix(root.path + "/"),
            FileManager.default.fileExists(atPath: file.path, isDirectory: &isDirectory), !isDirectory.boolValue
        else { return nil }
        return file
    }
}

/// Content types of the files the web UI is made of, and the headers every one of them is served with.
enum WebUIContentTypes {
    /// The UI's own pages may frame each other (the message preview) but no other site may frame them.
    static let securityHeaders: HTTPFields = {
        var headers: HTTPFields = [
            .cacheControl: "no-cache",
            .xContentTypeOptions: "nosniff",
            .contentSecurityPolicy:
                "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; frame-src 'self'; "
                + "connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'self'",
        ]
        // Browsers without CSP's frame-ancestors read the older header.
        if let frameOptions = HTTPField.Name("X-Frame-Options") { headers[frameOptions] = "SAMEORIGIN" }
        return headers
    }()

    static let byExtension: [String: String] = [
        "html": "text/html; charset=utf-8", "js": "text/javascript; charset=utf-8",
        "mjs": "text/javascript; charset=utf-8", "css": "text/css; charset=utf-8", "svg": "image/svg+xml",
        "png": "image/png", "ico": "image/x-icon", "json": "application/json", "woff2": "font/woff2",
        "txt": "text/plain; charset=utf-8",
    ]
}

/// Counts HTTP requests by route and status. A request whose client went away before the answer (a
/// cancelled wait) counts as 499, nginx's "client closed request", not as a server error.
struct MetricsMiddleware<Context: RequestContext>: RouterMiddleware {
    let metrics: MailpenMetrics

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            let response = try await next(request, context)
            metrics.httpRequest(route: context.endpointPath ?? "unmatched", method: request.method.rawValue, status: response.status.code)
            return response
        } catch is CancellationError {
            metrics.httpRequest(route: context.endpointPath ?? "unmatched", method: request.method.rawValue, status: 499)
            throw CancellationError()
        } catch {
            let status = (error as? any HTTPResponseError)?.status.code ?? 500
            metrics.httpRequest(route: context.endpointPath ?? "unmatched", method: request.method.rawValue, status: status)
            throw error
        }
    }
}

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

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
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
                status: .methodNotAllowed, message: "\(request.method) is not allowed on \(request.uri.path); use \(list)",
                headers: [.allow: list])
        }
    }
}

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
