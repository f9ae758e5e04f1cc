import ArgumentParser
import Core
import Effects
import Foundation

/// `calendly-action token`: prints a development caller token signed with the key `serve` uses for
/// the same data directory (or PLATFORM_JWT_SECRET when set).
struct TokenCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "token", abstract: "Print a development platform token (JWT, HS256).")

    @Option(help: "admin, supervisor, agent or runtime.") var role = "admin"
    @Option(help: "The platform account the caller belongs to.") var account = "acme"
    @Option(help: "The caller's subject (user id).") var subject = "dev-user"
    @Option(help: "Token lifetime in hours.") var hours = 24
    @Option(help: "The data directory `serve` uses.") var dataDir = "./.calendly-action"
    @Flag(help: "Leave out the ai_agent_calendly_action flag (to see the feature hidden).") var withoutFlag = false

    func validate() throws {
        guard Role(rawValue: role) != nil else { throw ValidationError("--role must be admin, supervisor, agent or runtime") }
        guard (1...24 * 365).contains(hours) else { throw ValidationError("--hours must be 1…8760") }
        // The same rule the verifier applies to a token's account claim.
        guard Gate.validID(account) != nil else { throw ValidationError("--account must be letters, digits, '-', '_' or '.' (not '.' or '..')") }
    }

    func run() throws {
        let configuration = try HostConfiguration.load(environment: ProcessInfo.processInfo.environment, host: "127.0.0.1", port: 8080, dataDirectory: dataDir)
        // A token `serve` would refuse is no use: the lifetime is capped like the verifier caps it.
        let maxHours = configuration.tokenPolicy.maxLifetime.milliseconds / 3_600_000
        guard Int64(hours) <= maxHours else { throw ValidationError("--hours must be at most \(maxHours) (PLATFORM_JWT_MAX_LIFETIME_HOURS)") }
        let principal = Principal(subject: subject, account: AccountID(account), role: Role(rawValue: role)!, features: [Access.feature],
                                  addons: [Access.addon], flags: withoutFlag ? [] : [Access.flag])
        let now = Instant(millisecondsSince1970: Int64(Date().timeIntervalSince1970 * 1000))
        print(PlatformToken(secret: configuration.jwtSecret, policy: configuration.tokenPolicy).sign(principal, issuedAt: now, lifetime: .hours(Int64(hours))))
    }
}
