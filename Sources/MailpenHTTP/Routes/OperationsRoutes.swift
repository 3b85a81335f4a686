import Foundation
import Hummingbird
import NIOCore

/// `/healthz`, `/metrics` and `/api/v1/openapi.json`.
struct OperationsRoutes {
    let dependencies: MailpenHTTP.Dependencies

    func register(on router: Router<MailpenRequestContext>) {
        let metrics = dependencies.metrics
        router.get("healthz") { _, _ in
            Response(
                status: .ok, headers: [.contentType: "application/json"],
                body: .init(byteBuffer: ByteBuffer(string: #"{"status":"ok"}"#)))
        }
        router.get("metrics") { _, _ in
            Response(
                status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                body: .init(byteBuffer: ByteBuffer(string: metrics.prometheusText())))
        }
        router.get("api/v1/openapi.json") { _, _ in
            Response(
                status: .ok, headers: [.contentType: "application/json"],
                body: .init(byteBuffer: ByteBuffer(bytes: try OpenAPIDocument.data())))
        }
    }
}
