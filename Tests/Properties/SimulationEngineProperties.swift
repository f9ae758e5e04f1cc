import Core
import Effects
import Interpreters
import PropertyBased
import Testing

/// The simulator drives the production step engine (issue 11): over SQLite on a temporary file it must
/// reach exactly what it reaches over the memory store, and the workloads the engine adds — quota holds,
/// durable timers across restarts, the outbox read by a poller — must really happen and keep the invariants.
@Suite struct SimulationEngineProperties {
    /// Same seed, same workload, two stores: the same trace and the same final conversations. Dedupe,
    /// reference matching, timers and the outbox are the SQLite store's own code here, not the memory copy.
    @Test func sqliteAndMemoryStoresReachTheSameEnd() async {
        await propertyCheck(count: 100, input: Gen.uint64(in: 1...UInt64.max), Gen.int(in: 1...25), Gen.element(of: ["none", "default", "harsh"])) { seed, conversations, profile in
            let base = SimulationConfig(seed: seed, conversations: conversations, faults: FaultProfile.named(profile!)!, conversationsPerAgent: 8)
            var onSQLite = base
            onSQLite.store = .sqlite
            let memory = SimulatedWorld.run(base), sqlite = SimulatedWorld.run(onSQLite)
            #expect(memory.violations.isEmpty, "seed \(seed) \(profile!) memory: \(memory.violations)")
            #expect(sqlite.violations.isEmpty, "seed \(seed) \(profile!) sqlite: \(sqlite.violations)")
            #expect(sqlite.stateDigest == memory.stateDigest, "seed \(seed) \(profile!): final states differ between stores")
            #expect(sqlite.digest == memory.digest, "seed \(seed) \(profile!): traces differ between stores")
            #expect(sqlite.bookings == memory.bookings && sqlite.fallbacks == memory.fallbacks && sqlite.outboxMessages == memory.outboxMessages,
                    "seed \(seed) \(profile!): memory \(memory.lines) sqlite \(sqlite.lines)")
        }
    }

    /// A small plan (trial: five bookings a day per Calendly user) so holds happen; no user's cap is ever
    /// exceeded at Calendly (the world counts `POST /invitees` per user per window), and every held
    /// conversation still ends.
    @Test func theBookingQuotaIsNeverExceededAtCalendly() async {
        await propertyCheck(count: 100, input: Gen.uint64(in: 1...UInt64.max), Gen.int(in: 10...60), Gen.element(of: ["none", "default", "harsh"])) { seed, conversations, profile in
            let config = SimulationConfig(seed: seed, conversations: conversations, faults: FaultProfile.named(profile!)!, conversationsPerAgent: 20,
                                          quotaTier: .trial)
            let summary = SimulatedWorld.run(config)
            #expect(summary.violations.isEmpty, "seed \(seed) \(profile!): \(summary.violations)")
            #expect(summary.stuck == 0)
        }
    }

    @Test func quotaHoldsReallyHappen() {
        // Guards the property above against passing vacuously.
        let summary = SimulatedWorld.run(SimulationConfig(seed: 7, conversations: 40, faults: .quiet, conversationsPerAgent: 20, quotaTier: .trial))
        #expect(summary.quotaHolds > 0)
        #expect(summary.violations.isEmpty, "\(summary.violations)")
    }

    @Test func harshRunsCrashWithTimersPendingAndReadTheOutbox() {
        // Guards the "every conversation ends" and outbox invariants against passing vacuously: crashes
        // happen, durable timers fire (some after a restart), and messages go through the outbox.
        let summary = SimulatedWorld.run(SimulationConfig(seed: 12, conversations: 400, faults: .harsh))
        #expect(summary.restarts > 0)
        #expect(summary.timersFired > 0)
        #expect(summary.outboxMessages > 0)
        #expect(summary.violations.isEmpty, "\(summary.violations)")
    }
}
