import Foundation
import Hummingbird
import NIOCore

/// The OpenAPI 3 document of the API, shipped as a resource of this module and kept true by a test that
/// compares it with the router.
public enum OpenAPIDocument {
    /// The document's bytes.
    public static func data() throws -> [UInt8] {
        try loaded.get()
    }

    private static let loaded: Result<[UInt8], any Error> = Result {
        [UInt8](try Data(contentsOf: try url()))
    }

    private static func url() throws -> URL {
        let directory = Bundle.main.bundleURL
        #if SWIFT_PACKAGE
            // `Bundle.module` traps when its bundle is missing, so look for it first.
            let entries = (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []
            if entries.contains(where: { $0.hasSuffix("_MailpenHTTP.resources") || $0.hasSuffix("_MailpenHTTP.bundle") }
            ),
                let url = Bundle.module.url(forResource: "openapi", withExtension: "json")
            {
                return url
            }
        #endif
        throw APIError(.internalServerError, "openapi.json not found next to \(directory.path)")
    }
}
