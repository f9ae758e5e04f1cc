import Effects

/// Which booking reference a Calendly notice is about (issue 11 defect 4). The rule lives here once;
/// a store only *finds candidates* through its own indexes (`InMemoryStore`'s dictionaries, SQLite's
/// `reference_invitees` / `reference_matches` tables) and lets this decide.
///
/// 1. Any invitee URI the notice speaks about (its own, then the other half of a reschedule), in that
///    order: the first one a reference has had wins.
/// 2. Else a reference still waiting on its outcome with the same (event type, start, email key): the
///    reply may not have landed, so only what the customer asked for identifies it. Several intents can
///    share that triple (the same customer in two conversations); the smallest key wins, so every store
///    and every replay picks the same one. Never for a booking made through our attributed static link
///    (`utm_source` is ours): the service's own `POST /invitees` carries no tracking, so such a booking is
///    not the answer to a chat intent even at the very time and address the intent asked for (the customer
///    fell back and booked that slot through the link) — it becomes a link booking (`FallbackLink.route`).
extension BookingReference {
    /// How a pending intent is found by a notice that carries no invitee URI the service knows yet.
    public struct MatchKey: Hashable, Sendable {
        public var eventType: CalendlyURI
        public var start: Instant
        /// `BookingReference.emailKey` of the address.
        public var email: String

        public init(eventType: CalendlyURI, start: Instant, email: String) {
            self.eventType = eventType; self.start = start; self.email = BookingReference.emailKey(email)
        }
    }

    /// The one normalisation of an email for matching: Calendly keeps the address as typed, and a customer
    /// may type it differently in chat. Lowercased only (no trimming, no Unicode folding): both sides went
    /// through the same `EmailAddress` parsing before they got here.
    public static func emailKey(_ email: String) -> String { email.lowercased() }

    /// The key this reference is found by while it keeps its email (until its outcome is known), or nil.
    public var matchKey: MatchKey? {
        email.map { MatchKey(eventType: eventType, start: start, email: $0) }
    }

    /// The key a notice looks for.
    public static func matchKey(of notice: InviteeNotice) -> MatchKey {
        MatchKey(eventType: notice.eventType, start: notice.start, email: notice.email)
    }

    /// The reference `notice` is about, given a store's two candidate finders: `byInvitee` answers which
    /// reference (if any) has had that invitee URI; `pending` lists every reference indexed under a match
    /// key. Rethrows the store's own errors.
    public static func match(_ notice: InviteeNotice, byInvitee: (CalendlyURI) throws -> BookingKey?,
                             pending: (MatchKey) throws -> [BookingKey]) rethrows -> BookingKey? {
        for invitee in notice.relatedInvitees {
            if let key = try byInvitee(invitee) { return key }
        }
        if FallbackLink.reference(in: notice.tracking) != nil { return nil }
        return try pending(matchKey(of: notice)).min()
    }

    /// Where a notice goes once matched (or not). A webhook notice that matches nothing still runs the
    /// reference reducer on no state, which rejects it as `unknown_event` (ERR-1, S04) — unless it is a
    /// booking made through an attributed static link (`FallbackLink.route`). A *reconciled* notice that
    /// matches nothing is dropped on purpose: reconciliation lists every booking of the user's window,
    /// and someone else's booking in it is simply not ours — no `unknown_event`, no telemetry, no log.
    /// Returns nil when the notice is to be dropped.
    public static func route(_ notice: InviteeNotice, reconciled: Bool, at now: Instant, matched: BookingKey?,
                             offer: (ConversationReference) -> FallbackOffer?) -> (key: BookingKey?, input: Input)? {
        let target = FallbackLink.route(notice, at: now, matched: matched, offer: offer)
        if reconciled, target.key == nil { return nil }
        return target
    }
}

extension AggregateMessage {
    /// Read back from Calendly by reconciliation (not delivered by a webhook): see `BookingReference.route`.
    public var isReconciled: Bool {
        switch self {
        case .reconciledNotice: return true
        case .inviteeNotice, .bookingSeen, .connectionLost, .actionNeedsReview, .grantRejected: return false
        }
    }
}
