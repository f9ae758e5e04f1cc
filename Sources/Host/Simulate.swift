import ArgumentParser
import Core
import Effects
import Interpreters

/// `calendly-action simulate`: the deterministic simulator from the command line. Exits non-zero on
/// any invariant violation, printing the seed and the smallest failing run it could find.
struct Simulate: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Run the deterministic simulator (real core, simulated Calendly, injected faults).")

    @Option(help: "Root seed; the same seed gives a byte-identical run.") var seed: UInt64 = 1
    @Option(help: "Number of customer conversations.") var conversations = 1000
    @Option(help: "Fault profile: none, default or harsh.") var faults = "default"
    @Option(help: "Comma-separated fault kinds to switch off (\(FaultProfile.Kind.allCases.map(\.rawValue).joined(separator: ", "))).")
    var without = ""
    @Option(help: "Conversations per agent (fewer = more slot races).") var perAgent = 40
    @Option(help: "Store under the step engine: memory, or sqlite on a temporary file (dedupe, matching, migrations simulated too).")
    var store = "memory"
    @Option(help: "Calendly plan whose booking cap is enforced: trial, standard, enterprise or none.") var tier = "standard"
    @Flag(help: "Run twice and require identical trace digests.") var checkDeterminism = false
    @Flag(help: "Skip shrinking a failing run.") var noShrink = false
    @Option(help: "Print one conversation's story (every step and webhook), e.g. c861 from a violation.") var trace: String?

    func validate() throws {
        guard FaultProfile.named(faults) != nil else { throw ValidationError("--faults must be none, default or harsh (got \(faults))") }
        guard conversations >= 1 else { throw ValidationError("--conversations must be at least 1") }
        guard perAgent >= 1 else { throw ValidationError("--per-agent must be at least 1") }
        guard SimulationStoreKind(rawValue: store) != nil else { throw ValidationError("--store must be memory or sqlite (got \(store))") }
        guard tier == "none" || BookingQuota.Tier(rawValue: tier) != nil else { throw ValidationError("--tier must be trial, standard, enterprise or none") }
        for name in without.split(separator: ",") where FaultProfile.Kind(rawValue: String(name)) == nil {
            throw ValidationError("unknown fault kind in --without: \(name)")
        }
    }

    func run() throws {
        var profile = FaultProfile.named(faults)!
        for name in without.split(separator: ",") { profile = profile.without(FaultProfile.Kind(rawValue: String(name))!) }
        var config = SimulationConfig(seed: seed, conversations: conversations, faults: profile, conversationsPerAgent: perAgent,
                                      store: SimulationStoreKind(rawValue: store) ?? .memory, quotaTier: BookingQuota.Tier(rawValue: tier))
        config.traced = trace.map(ConversationID.init(rawValue:))
        print("SEED=\(seed)")
        let summary = SimulatedWorld.run(config)
        for line in summary.trace { print("trace \(trace ?? ""): \(line)") }
        for line in summary.lines.dropFirst() { print(line) }
        var failed = !summary.passed
        if checkDeterminism {
            let again = SimulatedWorld.run(config)
            if again.digest != summary.digest {
                print("determinism: FAILED (second run digest \(again.digest))")
                failed = true
            } else {
                print("determinism: ok (digests match)")
            }
        }
        guard failed else { return }
        for violation in summary.violations.prefix(20) { print("violation: \(violation)") }
        if !summary.passed && !noShrink {
            print("shrinking…")
            let shrunk = ScheduleShrinker.shrink(config)
            print("smallest failing run (\(shrunk.runs) runs tried): \(shrunk.config.conversations) conversations, faults \(shrunk.config.faults.name)")
            for violation in shrunk.summary.violations.prefix(5) { print("  violation: \(violation)") }
            print("reproduce: \(ScheduleShrinker.reproduceLine(shrunk.config, baseProfile: faults))")
        }
        throw ExitCode.failure
    }
}
