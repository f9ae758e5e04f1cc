import Core
import Effects

/// Webhook ingest as two static steps, so the live runtime and the simulator apply a delivery alike
/// (issue 11 item 4, issue 16):
/// - `judge` outside any transaction: signature, parse and the intake rule of `WebhookIntake` — the CPU
///   work, done concurrently by the requests before they queue for the database;
/// - `step` inside one: the intake rule's dedupe ("a delivery id seen within the window is a duplicate")
///   recorded and decided by the store's unique key, then the notice applied like any local effect.
public enum WebhookIngest {
    /// `WebhookIntake.judge` with nothing remembered: whether a delivery is a repeat is the store's to say,
    /// in `step`, atomically with the write.
    public static func judge(_ delivery: WebhookIntake.Delivery, at: Instant, signature: WebhookSignature) -> WebhookIntake.Verdict {
        WebhookIntake.judge(delivery, at: at, signature: signature, processed: [:])
    }

    /// Applies an accepted notice in the caller's transaction; nil when its delivery id was seen before
    /// (then nothing at all is written: no journal row, no telemetry for a pure duplicate).
    /// `StepEngine.notice` (the simulator's path) and `LiveRuntime.webhook` (in a group-commit batch) both
    /// come here. `journals` is false only for a store that keeps no journal (the simulator's memory store).
    public static func step<Transaction: AggregateTransaction>(_ notice: InviteeNotice, at: Instant, journals: Bool = true,
                                                              into tx: inout Transaction) throws -> LocalEffects.Outcome? {
        guard try tx.insertDeliveryIfNew(notice.delivery, at: at) else { return nil }
        // The engine's step commit is static and does not depend on its store type; any one names it.
        return try StepEngine<MemoryRuntimeStore>.commitStep([.notify(.inviteeNotice(notice))], at: at, journals: journals, into: &tx)
    }
}
