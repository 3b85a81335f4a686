import Foundation
import HTTPTypes
import Hummingbird
import NIOCore

/// Requires HTTP basic credentials (`--ui-auth user:password`) for every request, UI and API alike.
struct BasicAuthenticationMiddleware<Context: RequestContext>: RouterMiddleware {
    let expected: String

    init(credentials: String) {
        expected = "Basic " + Data(credentials.utf8).base64EncodedString()
    }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
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
/// metrics are left to the router.
struct WebUIMiddleware<Context: RequestContext>: RouterMiddleware {
    let root: URL

    init(root: String) {
        self.root = URL(fileURLWithPath: root, isDirectory: true).standardizedFileURL
    }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let path = request.uri.path
        guard request.method == .get || request.method == .head,
            !path.hasPrefix("/api/"), path != "/healthz", path != "/metrics"
        else { return try await next(request, context) }
        let relative = path == "/" ? "index.html" : String(path.dropFirst())
        let file = root.appendingPathComponent(relative).standardizedFileURL
        // Never serve anything outside the folder.
        guard file.path.hasPrefix(root.path + "/"), !relative.contains(".."),
            let data = FileManager.default.contents(atPath: file.path)
        else { return try await next(request, context) }
        let type = WebUIContentTypes.byExtension[file.pathExtension.lowercased()] ?? "application/octet-stream"
        let headers: HTTPFields = [
            .contentType: type,
            .cacheControl: "no-cache",
            .xContentTypeOptions: "nosniff",
            .contentSecurityPolicy:
                "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; frame-src 'self'; "
                + "connect-src 'self'; object-src 'none'; base-uri 'none'",
        ]
        let body = request.method == .head ? ByteBuffer() : ByteBuffer(bytes: data)
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: body))
    }
}

/// Content types of the files the web UI is made of.
enum WebUIContentTypes {
    static let byExtension: [String: String] = [
        "html": "text/html; charset=utf-8", "js": "text/javascript; charset=utf-8",
        "mjs": "text/javascript; charset=utf-8", "css": "text/css; charset=utf-8", "svg": "image/svg+xml",
        "png": "image/png", "ico": "image/x-icon", "json": "application/json", "woff2": "font/woff2",
        "txt": "text/plain; charset=utf-8",
    ]
}

/// Counts HTTP requests by route and status.
struct MetricsMiddleware<Context: RequestContext>: RouterMiddleware {
    let metrics: MailpenMetrics

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            let response = try await next(request, context)
            metrics.httpRequest(route: context.endpointPath ?? "unmatched", method: request.method.rawValue, status: response.status.code)
            return response
        } catch {
            let status = (error as? any HTTPResponseError)?.status.code ?? 500
            metrics.httpRequest(route: context.endpointPath ?? "unmatched", method: request.method.rawValue, status: status)
            throw error
        }
    }
}
