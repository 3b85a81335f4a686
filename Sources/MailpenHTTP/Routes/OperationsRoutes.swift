import Foundation
import Hummingbird
import MailpenStore
import NIOCore

/// `/healthz`, `/metrics` and `/api/v1/openapi.json`.
struct OperationsRoutes {
    let dependencies: MailpenHTTP.Dependencies

    func register(on router: Router<MailpenRequestContext>) {
        let metrics = dependencies.metrics
        let store = dependencies.store
        // 503 while the store cannot serve (its database server out of reach), so that a load balancer
        // sends requests to another node meanwhile.
        router.get("healthz") { _, _ in
            switch await store.health() {
            case .healthy:
                return Response(
                    status: .ok, headers: [.contentType: "application/json"],
                    body: .init(byteBuffer: ByteBuffer(string: #"{"status":"ok"}"#)))
            case .degraded(let reason):
                let body = try JSONEncoder().encode(["status": "degraded", "reason": reason])
                return Response(
                    status: .serviceUnavailable, headers: [.contentType: "application/json"],
                    body: .init(byteBuffer: ByteBuffer(bytes: body)))
            }
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
