import Effects
import Foundation

/// Inbound Calendly webhooks: verify the signature over the raw bytes → parse tolerantly → drop
/// repeats → hand the notice to the booking reference it matches (PRD §10 Behavior 5).
public struct WebhookIntake: Codable, Sendable, Hashable {
    public static let maxBodyBytes = 256 * 1024
    /// How long a delivery id is remembered; Calendly retries for 24 hours.
    public static let dedupeWindow = Span.days(7)

    public struct Delivery: Codable, Sendable, Hashable {
        public var signatureHeader: String?
        public var body: [UInt8]
        public init(signatureHeader: String?, body: [UInt8]) { self.signatureHeader = signatureHeader; self.body = body }
    }

    public enum Input: Codable, Sendable, Hashable {
        case delivered(Delivery, at: Instant)
        case retentionSweep(now: Instant)
    }

    /// What the host answers Calendly with.
    public enum Verdict: Equatable, Sendable {
        case accepted(InviteeNotice)
        case duplicate
        case ignored(reason: String)
        /// Not shown to come from Calendly (signature missing, malformed, stale or wrong; or too large to
        /// check): answered 4xx and nothing is written — a stranger must not be able to grow the database.
        case rejected(reason: String)
        /// Signed by Calendly but unreadable (not JSON, a required field missing): acknowledged 2xx, since a
        /// 4xx makes Calendly retry for a day and then disable the whole subscription; kept as a dead letter.
        case deadLettered(reason: String)
    }

    /// Delivery ids already processed, with when they were first seen.
    public var processed: [DeliveryID: Instant]

    public init() { processed = [:] }

    /// Decides about one delivery without changing anything (the host uses it to pick a status code).
    public static func judge(_ delivery: Delivery, at now: Instant, signature: WebhookSignature, processed: [DeliveryID: Instant]) -> Verdict {
        guard delivery.body.count <= maxBodyBytes else { return .rejected(reason: "body_too_large") }
        if let failure = signature.verify(header: delivery.signatureHeader, body: delivery.body, now: now) {
            return .rejected(reason: failure.rawValue)
        }
        switch WebhookPayload.parse(delivery.body) {
        case .failure(let problem): return .deadLettered(reason: problem.reason)
        case .success(.unsupported(let event)): return .ignored(reason: "unsupported_event:\(event)")
        case .success(.invitee(let notice)):
            return processed[notice.delivery] != nil ? .duplicate : .accepted(notice)
        }
    }

    public static func reduce(_ state: inout WebhookIntake, _ input: Input, signature: WebhookSignature) -> [Effect] {
        switch input {
        case .delivered(let delivery, let now):
            switch judge(delivery, at: now, signature: signature, processed: state.processed) {
            case .accepted(let notice):
                state.processed[notice.delivery] = now
                return [.notify(.inviteeNotice(notice))]
            case .duplicate:
                return [.log(LogEntry(.debug, "duplicate webhook delivery ignored"))]
            case .ignored(let reason):
                return [.log(LogEntry(.info, "webhook ignored: \(reason)"))]
            case .rejected:
                // Unauthenticated: no telemetry row (the host counts these in memory and logs them rate-limited).
                return []
            case .deadLettered(let reason):
                return [.emit(.webhookRejected(reason: reason, at: now))]
            }
        case .retentionSweep(let now):
            let cutoff = now - dedupeWindow
            let before = state.processed.count
            state.processed = state.processed.filter { $0.value >= cutoff }
            return before == state.processed.count ? [] : [.store(.forgetDeliveries(before: cutoff))]
        }
    }
}
