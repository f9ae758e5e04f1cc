import Effects

/// Bounded reconciliation (issue 11 defect 7). After a lost booking reply the conversation looks the
/// booking up, backing off up to `reconcileBackoffCap` between failed lookups. Before this bound, a
/// conversation whose lookups kept failing (the grant died, Calendly was down for good) looked it up
/// every five minutes forever and the customer waited on "still confirming" for ever.
///
/// Now it gives up after `maxFailedLookups` failed lookups in a row, or once `reconcileGiveUpAfter` has
/// passed since the booking was asked for (a process that was down meanwhile counts too): the customer
/// gets the apology and the static link. The booking reference is *not* settled: it stays pending, so a
/// webhook (or the agent-level reconciliation, which looks at stale pending references) can still find
/// the booking. If it did happen, the reference tells the conversation (`bookingSeen`), which counts it
/// and confirms it to the customer then — see `lateConfirmation`.
extension BookingConversation {
    /// Failed lookups in a row after which the conversation stops waiting. With the backoff (2 s, 4 s, …,
    /// capped at five minutes) twenty lookups take a little over an hour.
    public static let maxFailedLookups = 20
    /// Time since the booking was asked for after which a failed lookup ends the wait, whatever the count.
    public static let reconcileGiveUpAfter = Span.hours(2)
    /// The failure reason when reconciliation gave up: the booking may exist; nobody could tell.
    public static let bookingUnconfirmed = "booking_unconfirmed"

    /// Whether the wait is over after `failedLookups` failures in a row, at `now`.
    public static func reconciliationExhausted(failedLookups: Int, requestedAt: Instant?, now: Instant) -> Bool {
        if failedLookups >= maxFailedLookups { return true }
        guard let requestedAt else { return false }
        return now >= requestedAt + reconcileGiveUpAfter
    }

    /// The delay before the next lookup after `failedLookups` failures: doubling from two seconds, capped.
    /// `failedLookups` is clamped so no count (even one read back from a damaged store) can overflow the shift.
    public static func reconcileDelay(failedLookups: Int) -> Span {
        min(Span.seconds(1) * Int64(1 << min(max(failedLookups, 0), 9)), reconcileBackoffCap)
    }

    /// A lookup failed (or said something unexpected): wait and ask again, or give up at the bound.
    mutating func lookupFailed(_ attempt: Attempt, _ now: Instant) -> [Effect] {
        // Saturating: `lookups` is read back from storage, and no stored value may trap the reducer.
        lookups = lookups < Int.max ? lookups + 1 : lookups
        if BookingConversation.reconciliationExhausted(failedLookups: lookups, requestedAt: attempt.requestedAt, now: now) {
            // The intent stays open (no settleIntent): a booking that did happen is still found later.
            unconfirmed = attempt
            return [.log(LogEntry(.warning, "gave up reconciling \(attempt.key) in \(id) after \(lookups) failed lookups"))]
                + fail(BookingConversation.bookingUnconfirmed, now)
        }
        // Still unknown. Never tell the customer it failed while a booking may exist: wait and ask again.
        phase = .reconciling(attempt, lookup: nil)
        var effects: [Effect] = [.schedule(reconcileTimer, after: BookingConversation.reconcileDelay(failedLookups: lookups))]
        if !toldStillConfirming {
            toldStillConfirming = true
            effects.insert(say(.text(Copy.stillConfirming)), at: 0)
        }
        return effects
    }

    /// The booking reconciliation gave up on turned out to exist (a webhook, or the agent's reconciliation,
    /// matched its still-open reference). On the static link it was left on, the customer is told now;
    /// once the customer has moved on (started over), or canceled it meanwhile, it is only settled and counted.
    mutating func lateConfirmation(_ key: BookingKey, _ invitee: Invitee, _ now: Instant) -> [Effect]? {
        guard let attempt = unconfirmed, attempt.key == key else { return nil }
        unconfirmed = nil
        if case .staticLink = phase, invitee.canceledAt == nil { return confirm(invitee, attempt, now) }
        guard let setup else { return [] }
        // Started over, or already canceled by the customer: only settled and counted (created, then the
        // reference counts the cancellation), so the counts stay created ≥ canceled. No card for a canceled booking.
        let why = invitee.canceledAt == nil ? "confirmed late, after the customer started over" : "found canceled after reconciliation gave up"
        return [
            .store(.settleIntent(attempt.key, .booked(invitee), at: now)),
            .emit(.bookingCreated(agent: setup.agent, conversation: id, eventType: setup.eventType.uri, scheduledTime: invitee.start, at: now)),
            .log(LogEntry(.info, "booking \(key) of \(id) \(why)")),
        ]
    }
}
