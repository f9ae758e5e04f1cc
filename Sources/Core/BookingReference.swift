import Effects

/// Qontak's record of one booking (PRD §6.7: event/invitee URI and time only), keyed by the
/// booking key. pending → created → confirmed (webhook) → canceled; purged after 24 months.
public struct BookingReference: Codable, Sendable, Hashable {
    public static let retentionMonths = 24

    public enum Status: String, Codable, Sendable, Hashable {
        /// The intent is recorded; Calendly's answer is not known yet.
        case pending
        /// Calendly's reply said booked.
        case created
        /// The `invitee.created` webhook confirmed it (possibly before the reply).
        case confirmed
        case canceled
        /// Calendly definitively did not book it.
        case notBooked = "not_booked"
    }

    /// Where the booking was made: in the chat (`POST /invitees`), or by the customer through the
    /// attributed static link the conversation fell back to.
    public enum Origin: String, Codable, Sendable, Hashable {
        case chat
        case fallbackLink = "fallback_link"
    }

    /// One reschedule in Calendly: the invitee `from` was replaced by `to` at a new time. Calendly sends
    /// it as two webhooks in any order, so either half may fill in the fact; the other completes it.
    public struct Reschedule: Codable, Sendable, Hashable {
        public var from: CalendlyURI
        public var to: CalendlyURI?
        public var event: CalendlyURI?
        public var start: Instant?
    }

    public enum Input: Codable, Sendable, Hashable {
        case intentRecorded(BookingIntent)
        case intentSettled(IntentOutcome, at: Instant)
        case notice(InviteeNotice, at: Instant)
        /// An `invitee.created` whose tracking points at a conversation's fallback link (state is nil at first).
        case bookedViaFallback(FallbackOffer, InviteeNotice, at: Instant)
        case retentionSweep(now: Instant)
    }

    public var key: BookingKey
    public var agent: AgentID
    public var conversation: ConversationID
    public var eventType: CalendlyURI
    public var start: Instant
    /// Kept while the outcome is open so a webhook can be matched before the reply lands; cleared after.
    public var email: String?
    public var status: Status
    public var invitee: CalendlyURI?
    public var event: CalendlyURI?
    public var recordedAt: Instant
    public var canceledAt: Instant?
    /// nil on references stored before origins existed: those were all made in chat.
    public var origin: Origin?
    /// Reschedules of this booking, sorted by `from` so the value never depends on arrival order.
    public var reschedules: [Reschedule]?

    /// The `calendly_webhook_rejected` reason for a signed notice about a booking this service never made.
    public static let unknownEventReason = "unknown_event"

    /// When this reference is purged: 24 calendar months after it was recorded.
    public var expiresAt: Instant {
        let day = recordedAt.utcDate.adding(months: BookingReference.retentionMonths)
        let timeOfDay = recordedAt.millisecondsSince1970.floorMod(86_400_000)
        // Saturating: `recordedAt` is read back from storage, and no stored value may trap the purge.
        return Instant(millisecondsSince1970: day.daysSince1970.saturatingMultiplied(by: 86_400_000).saturatingAdding(timeOfDay))
    }

    /// The reducer runs on an optional state: a notice for no reference is the "unknown event" case.
    public static func reduce(_ state: inout BookingReference?, _ input: Input) -> [Effect] {
        switch input {
        case .intentRecorded(let intent):
            guard state == nil else { return [] }
            state = BookingReference(key: intent.key, agent: intent.agent, conversation: intent.conversation, eventType: intent.eventType,
                                     start: intent.start, email: intent.email, status: .pending, invitee: nil, event: nil,
                                     recordedAt: intent.recordedAt, canceledAt: nil, origin: .chat, reschedules: nil)
            return []

        case .intentSettled(let outcome, _):
            guard var reference = state else { return [.log(LogEntry(.warning, "settled an unknown booking intent"))] }
            switch outcome {
            case .booked(let invitee):
                reference.invitee = invitee.uri
                reference.event = invitee.eventURI
                reference.email = nil
                if reference.status == .pending || reference.status == .notBooked { reference.status = .created }
            case .notBooked:
                if reference.status == .pending { reference.status = .notBooked }
                reference.email = nil
            }
            state = reference
            return []

        case .notice(let notice, let now):
            guard var reference = state else {
                // ERR-1 (S04): unknown event URI → ignored safely, nothing created or mutated.
                return [.emit(.webhookRejected(reason: BookingReference.unknownEventReason, at: now))]
            }
            if let half = reference.rescheduleHalf(of: notice) {
                var effects: [Effect] = []
                if reference.status == .pending, notice.kind == .canceled {
                    // Our booking existed (it was just moved) while the conversation still waits on the reply or a
                    // lookup that would now find nothing at the old time: tell it, so it never books again.
                    effects.append(.notify(.bookingSeen(reference.conversation, reference.key, notice.asInvitee)))
                    reference.status = .confirmed
                    reference.email = nil
                    // The old half speaks of our booking itself: its event, as invitee.created would have said.
                    reference.event = reference.event ?? notice.event
                }
                effects += reference.record(half, at: now)
                state = reference
                return effects
            }
            var effects: [Effect] = []
            switch notice.kind {
            case .created:
                switch reference.status {
                case .pending, .created, .notBooked:
                    if reference.status == .notBooked {
                        effects.append(.log(LogEntry(.error, "booking \(reference.key) exists although its intent was settled as not booked")))
                    }
                    if reference.status == .pending {
                        // The webhook beat the booking reply: tell the waiting conversation.
                        effects.append(.notify(.bookingSeen(reference.conversation, reference.key, notice.asInvitee)))
                    }
                    reference.status = .confirmed
                    reference.invitee = notice.invitee
                    reference.event = notice.event
                    reference.email = nil
                case .confirmed, .canceled:
                    break
                }
            case .canceled:
                switch reference.status {
                case .pending, .created, .confirmed, .notBooked:
                    if reference.status == .pending {
                        // The cancellation beat invitee.created (and the booking reply): the booking existed. Tell the
                        // waiting conversation, which then never books again and counts it created once.
                        var canceled = notice.asInvitee
                        canceled.canceledAt = notice.sentAt
                        effects.append(.notify(.bookingSeen(reference.conversation, reference.key, canceled)))
                    }
                    reference.status = .canceled
                    reference.canceledAt = notice.sentAt
                    reference.invitee = reference.invitee ?? notice.invitee
                    reference.event = reference.event ?? notice.event
                    reference.email = nil
                    effects.append(.emit(.bookingCanceled(agent: reference.agent, conversation: reference.conversation, eventType: reference.eventType, at: now)))
                case .canceled:
                    break
                }
            }
            state = reference
            return effects

        case .bookedViaFallback(let offer, let notice, let now):
            guard state == nil else { return [] }
            state = BookingReference(key: FallbackLink.bookingKey(offer, invitee: notice.invitee), agent: offer.agent, conversation: offer.conversation,
                                     eventType: notice.eventType, start: notice.start, email: nil, status: .confirmed, invitee: notice.invitee,
                                     event: notice.event, recordedAt: now, canceledAt: nil, origin: .fallbackLink, reschedules: nil)
            return [.emit(.fallbackBooked(agent: offer.agent, conversation: offer.conversation, eventType: notice.eventType, at: now))]

        case .retentionSweep(let now):
            guard let reference = state, now >= reference.expiresAt else { return [] }
            state = nil
            return [.store(.deleteReference(reference.key))]
        }
    }
}
