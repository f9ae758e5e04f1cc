import Core
import Foundation
import Effects

/// Forged and malformed webhooks through the live intake (issue 11): each arrives just before the genuine
/// delivery it imitates (same delivery id where it has one), so an intake that remembered a forgery's id
/// would drop the genuine one and the booking invariants would fail. None may reach the engine: the
/// verdict of `WebhookIngest.judge` must turn each away in the way its kind calls for.
extension SimulationShell {
    enum Forgery: CaseIterable {
        /// A changed body signed with a key that is not ours.
        case badSignature
        /// A captured delivery sent again as it was, after the signature's tolerance.
        case staleTimestamp
        /// A captured delivery with its old signature and a fresh `t=`.
        case replayedWithNewTimestamp
        /// Properly signed, not JSON (truncated).
        case malformedJSON
        /// Properly signed, an event the service does not handle.
        case unknownEvent
        /// Over the intake's size limit.
        case hugeBody
    }

    func planForgery(before webhook: SimCalendly.OutgoingWebhook) {
        guard forgeryStream.chance(faults.forgedWebhooks) else { return }
        pendingForgeries += 1
        queue.push(.forged(webhook, forgeryStream.pick(Forgery.allCases)), at: now + .milliseconds(10))
    }

    func deliverForgery(_ forgery: Forgery, imitating webhook: SimCalendly.OutgoingWebhook) {
        pendingForgeries -= 1
        summary.forgedWebhooks += 1
        let delivery = forgedDelivery(forgery, webhook)
        let verdict = WebhookIngest.judge(delivery, at: now, signature: signature)
        digest.mix("forged:\(forgery):\(verdict)")
        let expected: String
        switch forgery {
        case .badSignature, .staleTimestamp, .replayedWithNewTimestamp, .hugeBody: expected = "rejected"
        case .malformedJSON: expected = "dead-lettered"
        case .unknownEvent: expected = "ignored"
        }
        let got: String
        switch verdict {
        case .rejected: got = "rejected"; summary.forgedRejected += 1
        case .deadLettered: got = "dead-lettered"; summary.forgedDeadLettered += 1
        case .ignored: got = "ignored"; summary.forgedIgnored += 1
        case .duplicate: got = "duplicate"
        case .accepted: got = "accepted"
        }
        // Only an accepted verdict reaches the engine (as in `LiveRuntime.webhook`); nothing else is written.
        if got != expected { violate("forged webhook (\(forgery)) judged \(got), expected \(expected): \(verdict)") }
    }

    func forgedDelivery(_ forgery: Forgery, _ webhook: SimCalendly.OutgoingWebhook) -> WebhookIntake.Delivery {
        let captured = now - WebhookSignature.tolerance - .minutes(1)
        switch forgery {
        case .badSignature:
            let tampered = Array(String(decoding: webhook.body, as: UTF8.self).replacingOccurrences(of: "@example.com", with: "@attacker.example").utf8)
            let attacker = WebhookSignature(key: Array("not-our-signing-key".utf8), hmac: CryptoHMAC.sha256)
            return WebhookIntake.Delivery(signatureHeader: attacker.header(for: tampered, at: now), body: tampered)
        case .staleTimestamp:
            return WebhookIntake.Delivery(signatureHeader: signature.header(for: webhook.body, at: captured), body: webhook.body)
        case .replayedWithNewTimestamp:
            let old = signature.header(for: webhook.body, at: captured)
            let fresh = "t=\(now.secondsSince1970)," + old.drop { $0 != "," }.dropFirst()
            return WebhookIntake.Delivery(signatureHeader: fresh, body: webhook.body)
        case .malformedJSON:
            let truncated = Array(webhook.body.prefix(webhook.body.count / 2))
            return WebhookIntake.Delivery(signatureHeader: signature.header(for: truncated, at: now), body: truncated)
        case .unknownEvent:
            let text = String(decoding: webhook.body, as: UTF8.self).replacingOccurrences(of: "\"\(webhook.kind.rawValue)\"", with: "\"routing_form_submission.created\"")
            let body = Array(text.utf8)
            return WebhookIntake.Delivery(signatureHeader: signature.header(for: body, at: now), body: body)
        case .hugeBody:
            // Signed with its own prefix only: the size is refused before any signature work.
            let body = webhook.body + [UInt8](repeating: UInt8(ascii: " "), count: WebhookIntake.maxBodyBytes)
            return WebhookIntake.Delivery(signatureHeader: signature.header(for: webhook.body, at: now), body: body)
        }
    }
}
