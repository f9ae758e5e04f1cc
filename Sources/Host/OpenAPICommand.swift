import ArgumentParser

/// `calendly-action openapi`: prints the host API's OpenAPI 3.1 document (the one `/openapi.json`
/// serves). `calendly-action openapi > openapi.json` regenerates the committed copy.
struct OpenAPICommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "openapi", abstract: "Print the host API's OpenAPI 3.1 document (JSON).")

    func run() throws {
        print(OpenAPIDocument.json)
    }
}
