/// The OpenAPI 3.1 document of the host API, served at /openapi.json. `openapi.json` at the repository
/// root is this document, checked by a test; edit here, then run `calendly-action openapi > openapi.json`.
enum OpenAPIDocument {
    static let json = #"""
{"openapi":"3.1.0","info":{"title":"CalendlyAction","version":"0.1.0"},"paths":{}}
"""#
}
