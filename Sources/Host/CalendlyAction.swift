import ArgumentParser

@main
struct CalendlyAction: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "calendly-action",
        abstract: "Book Calendly meetings inside AI Agent conversations.",
        subcommands: [Serve.self, PurgeCommand.self, Simulate.self, TokenCommand.self, ReplayCommand.self, JournalCommand.self, OpenAPICommand.self,
                      Emulate.self, BenchCommand.self, CrashDrill.self, MigrateCommand.self]
    )
}
