import ArgumentParser

/// `calendly-action openapi`: prints the host API's OpenAPI 3.1 document (the one `/openapi.json`
/// serves, shipped as a resource).
struct OpenAPICommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "openapi", abstract: "Print the host API's OpenAPI 3.1 document (JSON).")

    func run() throws {
        print(OpenAPIDocument.json, terminator: "")
    }
}
