import Core
import Effects
import Interpreters
import PropertyBased
import Testing

/// The webhook workloads of issue 11: subscriptions Calendly disables (re-created by the periodic check,
/// the gap reconciled), forged and malformed deliveries through the live intake, and the summary's counts
/// of duplicate and out-of-order deliveries. Every property prints its seed on failure.
@Suite struct SimulationWorkloadProperties {
    static func disabling(_ base: FaultProfile) -> FaultProfile { base.with(disabledSubscriptions: 1, forgedWebhooks: base.forgedWebhooks) }
    static func forging(_ base: FaultProfile) -> FaultProfile { base.with(disabledSubscriptions: base.disabledSubscriptions, forgedWebhooks: 1) }

    /// Every organization's subscription is disabled once during the run: the webhooks Calendly no longer
    /// sends are replayed by reconciliation, so every booking is still confirmed and counted once, every
    /// cancellation and reschedule reaches its reference, and every connected agent ends subscribed.
    @Test func disabledSubscriptionsAreRecreatedAndTheGapReconciled() async {
        await propertyCheck(count: 100, input: Gen.uint64(in: 1...UInt64.max), Gen.int(in: 8...60), Gen.element(of: ["none", "default", "harsh"])) { seed, conversations, profile in
            let config = SimulationConfig(seed: seed, conversations: conversations, faults: Self.disabling(FaultProfile.named(profile!)!), conversationsPerAgent: 8)
            let summary = SimulatedWorld.run(config)
            #expect(summary.violations.isEmpty, "seed \(seed) \(profile!) \(conversations): \(summary.violations)")
            #expect(summary.subscriptionsDisabled > 0, "seed \(seed): no subscription was disabled")
            #expect(summary.subscriptionsRecreated >= summary.subscriptionsDisabled - summary.disconnected,
                    "seed \(seed): \(summary.subscriptionsDisabled) disabled, \(summary.subscriptionsRecreated) re-created")
        }
    }

    /// Guards the property above against passing vacuously: webhooks really go unsent during a gap, and
    /// the reconciliation that replays them really runs and really brings bookings back.
    @Test func aGapReallyLosesWebhooksThatReconciliationBringsBack() {
        let summary = SimulatedWorld.run(SimulationConfig(seed: 5, conversations: 300, faults: Self.disabling(.default), conversationsPerAgent: 8))
        #expect(summary.violations.isEmpty, "\(summary.violations)")
        #expect(summary.webhooksNotSent > 0, "\(summary.lines)")
        #expect(summary.gapReconciliations > 0, "\(summary.lines)")
        #expect(summary.subscriptionsRecreated > 0, "\(summary.lines)")
        #expect(summary.subscriptionChecks > 0)
    }

    /// A forgery (bad signature, stale or replayed timestamp, malformed JSON, unknown event, huge body)
    /// before every genuine delivery, with the genuine one's delivery id: the intake turns each away as its
    /// kind calls for, and the run ends exactly where it ends without them — same conversations, same counts.
    @Test func forgedWebhooksChangeNothing() async {
        await propertyCheck(count: 100, input: Gen.uint64(in: 1...UInt64.max), Gen.int(in: 1...40), Gen.element(of: ["none", "default", "harsh"])) { seed, conversations, profile in
            let base = FaultProfile.named(profile!)!
            let genuine = SimulatedWorld.run(SimulationConfig(seed: seed, conversations: conversations, faults: base, conversationsPerAgent: 8))
            let forged = SimulatedWorld.run(SimulationConfig(seed: seed, conversations: conversations, faults: Self.forging(base), conversationsPerAgent: 8))
            #expect(forged.violations.isEmpty, "seed \(seed) \(profile!) \(conversations): \(forged.violations)")
            #expect(forged.stateDigest == genuine.stateDigest, "seed \(seed) \(profile!) \(conversations): forgeries changed the final conversations")
            #expect(forged.bookings == genuine.bookings && forged.canceled == genuine.canceled && forged.webhooksDelivered == genuine.webhooksDelivered,
                    "seed \(seed): \(genuine.lines) vs \(forged.lines)")
            #expect(forged.forgedWebhooks == forged.forgedRejected + forged.forgedDeadLettered + forged.forgedIgnored)
            #expect(forged.webhooksDelivered == 0 || forged.forgedWebhooks > 0)
        }
    }

    /// The summary says how often each webhook workload happened, and the harsh profile makes each happen.
    @Test func theSummaryCountsEveryWebhookWorkload() {
        let summary = SimulatedWorld.run(SimulationConfig(seed: 2, conversations: 400, faults: .harsh))
        #expect(summary.violations.isEmpty, "\(summary.violations)")
        #expect(summary.duplicateWebhooks > 0 && summary.webhooksDeduplicated > 0, "\(summary.lines)")
        #expect(summary.webhooksOutOfOrder > 0, "\(summary.lines)")
        #expect(summary.forgedWebhooks > 0 && summary.forgedRejected > 0 && summary.forgedDeadLettered > 0 && summary.forgedIgnored > 0, "\(summary.lines)")
        let workloads = summary.lines.first { $0.hasPrefix("workloads:") } ?? ""
        for label in ["subscriptions disabled", "forged webhooks", "duplicate webhooks", "out-of-order webhooks"] {
            #expect(workloads.contains(label), "\(workloads)")
        }
    }
}
