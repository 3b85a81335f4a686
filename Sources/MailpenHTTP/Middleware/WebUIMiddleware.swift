import Foundation
import HTTPTypes
import Hummingbird
import NIOCore

/// Serves the web UI from a folder: `/` is `index.html`; other paths map to files. API paths, health and
/// metrics are left to the router. Only regular files inside the folder are served: no dotfiles, and no
/// symbolic link that leads out of it.
struct WebUIMiddleware<Context: RequestContext>: RouterMiddleware {
    let root: URL

    init(root: String) {
        self.root = URL(fileURLWithPath: root, isDirectory: true).resolvingSymlinksInPath().standardizedFileURL
    }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws
        -> Response
    {
        let path = request.uri.path
        guard request.method == .get || request.method == .head,
            !path.hasPrefix("/api/"), path != "/healthz", path != "/metrics",
            let file = file(for: path), let data = FileManager.default.contents(atPath: file.path)
        else { return try await next(request, context) }
        var headers = WebUIContentTypes.securityHeaders
        headers[.contentType] =
            WebUIContentTypes.byExtension[file.pathExtension.lowercased()] ?? "application/octet-stream"
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
