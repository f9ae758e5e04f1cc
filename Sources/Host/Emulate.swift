import ArgumentParser
import Foundation
import Hummingbird
import Interpreters
import Logging

/// `calendly-action emulate`: a Calendly-compatible server (OAuth, API v2, signed webhooks, faults)
/// for development and demos. Point `CALENDLY_API_BASE` and `CALENDLY_AUTH_BASE` at it.
struct Emulate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run a Calendly-compatible emulator (OAuth, API v2, signed webhooks, fault injection)."
    )

    @Option(help: "Port to listen on (0 picks a free one).") var port = 8090
    @Option(help: "Address to bind; keep it on loopback (the admin hooks are unauthenticated).") var host = "127.0.0.1"
    @Option(help: "Seed for tokens and probabilistic faults.") var seed: UInt64 = 1
    @Option(help: "Fault profile: none, default or harsh.") var faults = "none"
    @Option(help: "Extra solo event types to seed (so event type lists page).") var soloEventTypes = EmulatorModel.defaultExtraSolo
    @Flag(help: "The account is a plain member of its organization, not an admin: organization webhook subscriptions get a 403.")
    var nonAdmin = false

    func validate() throws {
        guard FaultProfile.named(faults) != nil else { throw ValidationError("--faults must be none, default or harsh (got \(faults))") }
        guard (0...65535).contains(port) else { throw ValidationError("--port must be 0…65535 (got \(port))") }
        guard (0...500).contains(soloEventTypes) else { throw ValidationError("--solo-event-types must be 0…500") }
    }

    func run() async throws {
        let model = EmulatorModel(seed: seed, faults: FaultProfile.named(faults)!, extraSolo: soloEventTypes, organizationAdmin: !nonAdmin)
        let (seed, faults, nonAdmin) = (self.seed, self.faults, self.nonAdmin)
        let exposed = !["127.0.0.1", "localhost", "::1"].contains(host)
        let app = makeEmulatorApplication(model: model, host: host, port: port, logLevel: .info) { baseURL in
            let lines = [
                "calendly emulator listening on \(baseURL)",
                "  CALENDLY_API_BASE=\(baseURL)  CALENDLY_AUTH_BASE=\(baseURL)",
                "  OAuth client id: \(EmulatorModel.clientID) (development client secret built in)",
                "  webhook signing key: the emulator's built-in development key (a subscription's own signing_key wins)",
                "  faults: \(faults), seed \(seed); test hooks under \(baseURL)/_emulator/ (state, reset, tokens, slots/take, bookings/cancel, faults, account)",
            ] + (nonAdmin ? ["  account: a plain organization member (organization webhook subscriptions are refused)"] : []) + (exposed ? ["  warning: bound beyond loopback — the /_emulator/ hooks have no authentication"] : [])
            // Unbuffered, so a script waiting for the URL sees it at once.
            FileHandle.standardOutput.write(Data((lines.joined(separator: "\n") + "\n").utf8))
        }
        try await app.runService()
        await model.shutdown()
    }
}
