import Core
import Effects
import Foundation

extension LiveRuntime {
    /// Verifies, dedupes and applies one delivery; the verdict tells the host what to answer. An accepted
    /// delivery is answered only after the group-commit batch holding it committed (`groupTransaction`).
    public func webhook(_ delivery: WebhookIntake.Delivery, signature: WebhookSignature) async throws -> WebhookIntake.Verdict {
        let at = now()
        let verdict = WebhookIngest.judge(delivery, at: at, signature: signature)
        switch verdict {
        case .rejected:
            // Not shown to come from Calendly: nothing is written (issue 10); the host counts it in memory.
            return verdict
        case .deadLettered(let reason):
            // Signed but unreadable: kept (bounded, emails redacted like the journal) and counted; the host acknowledges it.
            let letter = WebhookDeadLetter(reason: reason, receivedAt: at,
                                           body: Array(Redaction.redactEmails(String(decoding: delivery.body, as: UTF8.self)).utf8))
            await telemetry.observe(.webhookRejected(reason: reason, at: at))
            try store.transaction { tx in
                _ = LocalEffects.commit([.emit(.webhookRejected(reason: reason, at: at))], at: at, into: &tx)
                try tx.keepDeadLetter(letter, cap: Retention.deadLetterCap)
            }
            return verdict
        case .ignored, .duplicate:
            return verdict
        case .accepted(let notice):
            // Serial per invitee only (one invitee's deliveries apply in arrival order, never interleaved);
            // different invitees go concurrently and share group-commit batches.
            let store = self.store
            let outcome = try await mailboxes.run("invitee:\(notice.invitee)") {
                await Result { try await store.groupTransaction { tx in try WebhookIngest.step(notice, at: at, into: &tx) } }
            }.get()
            guard let outcome else { return .duplicate }
            for event in outcome.telemetry { await telemetry.observe(event) }
            for followUp in outcome.followUps {
                switch followUp {
                case .conversation(let id, let input): spawnConversation(id, input)
                case .config(let agent, let input): spawnConfig(agent, input)
                case .connection(let agent, let input): spawnConnection(agent, input)
                }
            }
            return verdict
        }
    }
}
