import Effects

/// Data lifecycle of PRD §6.7. Booking references expire in `BookingReference` (24 months); the
/// failure log and handed-out fallback links after 90 days; webhook dedupe ids in `WebhookIntake`; the
/// journal after `journalLifetime` (deleted by the runtime's purge, outside the core). Aggregates are never touched.
public enum Retention {
    public static let failureLogLifetime = Span.days(90)
    public static let journalLifetime = Span.days(90)
    /// A PKCE verifier waits for its OAuth sign-in; one that has not come back within a day never will.
    public static let oauthVerifierLifetime = Span.days(1)
    /// Signed webhooks that could not be read (`WebhookDeadLetter`) are kept this long for an operator to look at…
    public static let deadLetterLifetime = Span.days(14)
    /// …and at most this many (the newest), so even a Calendly bug sending garbage for days cannot fill the disk.
    public static let deadLetterCap = 10_000
    /// Customer messages produced outside a request (the durable outbox): long enough for any poller or
    /// callback retry to have taken them, short enough that message text does not pile up.
    public static let outboxLifetime = Span.days(30)

    /// The store-level deletions a sweep at `now` performs besides per-reference expiry.
    public static func sweep(now: Instant) -> [Effect] {
        [.store(.deleteFailures(before: now - failureLogLifetime)), .store(.forgetFallbackOffers(before: now - FallbackLink.offerLifetime))]
    }

    public static func isExpired(_ failure: FailureRecord, now: Instant) -> Bool {
        failure.at < now - failureLogLifetime
    }
}
