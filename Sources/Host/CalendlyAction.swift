import ArgumentParser

@main
struct CalendlyAction: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "calendly-action",
        abstract: "Book Calendly meetings inside AI Agent conversations.",
        subcommands: [Simulate.self, TokenCommand.self, ReplayCommand.self, OpenAPICommand.self, Emulate.self, CrashDrill.self]
    )
}
