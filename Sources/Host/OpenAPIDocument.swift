import Foundation

/// The OpenAPI 3.1 document of the host API: `Sources/Host/Resources/openapi.json` (also reachable as
/// `openapi.json` at the repository root) is the one source, shipped as a package resource and served
/// at `/openapi.json`. Edit the file; tests check it against the router.
enum OpenAPIDocument {
    static let json: String = {
        guard let text = try? String(contentsOf: HostResources.url("openapi.json"), encoding: .utf8) else {
            return #"{"error":"openapi_document_missing","message":"the resource bundle next to the executable has no openapi.json"}"#
        }
        return text
    }()
}
