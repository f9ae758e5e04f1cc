import Core
import Effects
import Interpreters
import PropertyBased
import Testing

/// Properties over whole simulated runs: the real core against SimCalendly with a generated fault
/// schedule. PropertyBased prints the failing input and a `.fixedSeed(…)` to replay it; the run's
/// own root seed is part of the input, so the failing schedule replays exactly.
@Suite struct SimulationProperties {
    /// A fault profile with every probability drawn independently: "any fault schedule".
    /// Six fault rates in percent (timeout, 5xx, lost reply, 429, crash, duplicate webhook); shrinking drives them to 0.
    static let faultRates = Gen.int(in: 0...20).array(of: 6)

    static func profile(_ rates: [Int]) -> FaultProfile {
        FaultProfile(name: "generated", latencySpreadMs: 3_000, timeout: Double(rates[0]) / 100, serverError: Double(rates[1]) / 100,
                     serverErrorAfterBooking: Double(rates[1]) / 300, rateLimit: Double(rates[3]) / 100, lostResponse: Double(rates[2]) / 100,
                     crash: Double(rates[4]) / 400, duplicateWebhook: Double(rates[5]) / 40, webhookSpreadMs: 20_000,
                     externalBookingsPerConversation: 0.5, cancellation: 0.05)
    }

    /// The shrinker bisects: for a failure that appears from some size on, it lands on that exact size in
    /// logarithmically many runs (it stepped down one size at a time before, 40 near-full runs).
    @Test func theShrinkerFindsTheSmallestFailingSizeInLogarithmicRuns() async {
        await propertyCheck(count: 200, input: Gen.int(in: 1...100_000), Gen.int(in: 0...100_000)) { threshold, extra in
            let failing = SimulationConfig(seed: 1, conversations: threshold + extra, faults: .harsh)
            var sizes: [Int] = []
            let result = ScheduleShrinker.shrink(failing) { config in
                sizes.append(config.conversations)
                var summary = SimulationSummary(seed: config.seed, faults: config.faults.name)
                if config.conversations >= threshold { summary.violations = ["fails from \(threshold)"] }
                return summary
            }
            #expect(result.config.conversations == threshold, "tried \(sizes)")
            #expect(!result.summary.passed)
            let sizeRuns = sizes.count - FaultProfile.Kind.allCases.count
            #expect(sizeRuns <= 2 * 18 + 1, "\(sizeRuns) runs to find the size: \(sizes)")
        }
    }

    /// `simulate --trace` tells one conversation's story without changing the run.
    @Test func tracingAConversationChangesNothingInTheRun() {
        var config = SimulationConfig(seed: 3, conversations: 40, faults: .harsh)
        let plain = SimulatedWorld.run(config)
        config.traced = "c7"
        let traced = SimulatedWorld.run(config)
        #expect(traced.digest == plain.digest)
        #expect(plain.trace.isEmpty)
        #expect(traced.trace.first?.contains("trigger") == true, "\(traced.trace.prefix(3))")
        #expect(traced.trace.count >= 3)
    }

    @Test func noDuplicateBookingPerKeyUnderAnyFaultSchedule() async {
        await propertyCheck(count: 100, input: Gen.uint64(in: 1...UInt64.max), Gen.int(in: 1...60), Self.faultRates) { seed, conversations, rates in
            let faults = Self.profile(rates)
            let summary = SimulatedWorld.run(SimulationConfig(seed: seed, conversations: conversations, faults: faults, conversationsPerAgent: 10))
            #expect(summary.duplicates == 0, "seed \(seed): \(summary.violations)")
            #expect(summary.violations.isEmpty, "seed \(seed): \(summary.violations)")
        }
    }

    @Test func racingForFewSlotsNeverDoubleBooksAndLosersAreReoffered() async {
        await propertyCheck(count: 100, input: Gen.uint64(in: 1...UInt64.max), Gen.int(in: 10...80), Gen.int(in: 1...3)) { seed, conversations, slotsPerDay in
            let config = SimulationConfig(seed: seed, conversations: conversations, faults: .default, conversationsPerAgent: conversations,
                                          triggerSpacing: .milliseconds(100), slotsPerDay: slotsPerDay, quotaTier: nil)
            let summary = SimulatedWorld.run(config)
            // The world checks: no slot or key booked twice; each conflict told to the customer and followed by a fresh offer or the link.
            #expect(summary.violations.isEmpty, "seed \(seed): \(summary.violations)")
            #expect(summary.duplicates == 0)
            #expect(summary.bookings <= 7 * slotsPerDay + 1, "more bookings than slots: \(summary.bookings)")
        }
    }

    @Test func scarcityReallyProducesRaces() {
        // Guards the property above against passing vacuously: this workload must race.
        let summary = SimulatedWorld.run(SimulationConfig(seed: 42, conversations: 80, faults: .quiet, conversationsPerAgent: 80,
                                                          triggerSpacing: .milliseconds(100), slotsPerDay: 2, quotaTier: nil))
        #expect(summary.conflicts > 0)
        #expect(summary.noSlots > 0)
        #expect(summary.violations.isEmpty, "\(summary.violations)")
    }

    @Test func everyConversationEndsConfirmedOrAtTheStaticLink() async {
        await propertyCheck(count: 100, input: Gen.uint64(in: 1...UInt64.max), Gen.int(in: 1...80), Gen.element(of: ["none", "default", "harsh"])) { seed, conversations, profile in
            let summary = SimulatedWorld.run(SimulationConfig(seed: seed, conversations: conversations, faults: FaultProfile.named(profile!)!))
            #expect(summary.stuck == 0, "seed \(seed) \(profile!): \(summary.violations)")
            #expect(summary.bookings + summary.fallbacks + summary.abandoned + summary.notOffered == conversations)
        }
    }

    @Test func sameSeedGivesByteIdenticalRun() async {
        await propertyCheck(count: 100, input: Gen.uint64(in: 1...UInt64.max), Gen.int(in: 1...60)) { seed, conversations in
            let config = SimulationConfig(seed: seed, conversations: conversations, faults: .harsh)
            let first = SimulatedWorld.run(config), second = SimulatedWorld.run(config)
            #expect(first.digest == second.digest)
            #expect(first.bookings == second.bookings && first.steps == second.steps)
        }
    }

    @Test func differentSeedsDiverge() {
        // The digest must actually depend on the run, or the determinism property above proves nothing.
        let a = SimulatedWorld.run(SimulationConfig(seed: 1, conversations: 30, faults: .default))
        let b = SimulatedWorld.run(SimulationConfig(seed: 2, conversations: 30, faults: .default))
        #expect(a.digest != b.digest)
    }
}
