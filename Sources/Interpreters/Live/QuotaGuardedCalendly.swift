import Core
import Effects
import Synchronization

/// Wraps the Calendly interpreter so no `POST /invitees` goes out past the owner's booking cap
/// (`BookingQuota`, issue 6 item 5). A held call never reaches Calendly: it comes back as
/// `rateLimited`, which the conversation already turns into the apology + attributed static link. A
/// real 429 feeds the tracker, and passing 80 % of the daily cap is reported once a day.
public final class QuotaGuardedCalendly: CalendlyPerformer, Sendable {
    let inner: any CalendlyPerformer
    let tier: BookingQuota.Tier
    let owner: @Sendable (TokenReference) async -> CalendlyURI?
    let telemetry: any TelemetrySink
    let now: @Sendable () -> Instant
    let ledger: (any QuotaLedger)?
    private let quotas: Mutex<[String: BookingQuota]>

    /// `owner` names the Calendly user a token belongs to (the cap is per user, and one user may be
    /// connected to several agents); when it is unknown the token reference stands in for it. With a
    /// `ledger` the trackers are read at start and written after every change.
    public init(_ inner: any CalendlyPerformer, tier: BookingQuota.Tier, telemetry: any TelemetrySink,
                owner: @escaping @Sendable (TokenReference) async -> CalendlyURI?, now: @escaping @Sendable () -> Instant,
                ledger: (any QuotaLedger)? = nil) {
        self.inner = inner; self.tier = tier; self.telemetry = telemetry; self.owner = owner; self.now = now; self.ledger = ledger
        // An unreadable ledger starts empty: the guard then errs on Calendly's 429s, which still degrade gracefully.
        quotas = Mutex((try? ledger?.loadQuotas()) ?? [:])
    }

    /// Owners resolved through the token keeper (which knows each token's Calendly user).
    public convenience init(_ inner: any CalendlyPerformer, tier: BookingQuota.Tier, telemetry: any TelemetrySink, tokens: any TokenKeeper,
                            now: @escaping @Sendable () -> Instant, ledger: (any QuotaLedger)? = nil) {
        self.init(inner, tier: tier, telemetry: telemetry, owner: { try? await tokens.load($0)?.owner }, now: now, ledger: ledger)
    }

    public func perform(_ call: CalendlyCall) async -> CalendlyReply {
        guard case .createInvitee(let token, _, _) = call else { return await inner.perform(call) }
        let user = await owner(token)
        let key = user?.rawValue ?? "token:\(token.rawValue)"
        let at = now()
        let (decision, admitted) = quotas.withLock { quotas in
            var quota = quotas[key] ?? BookingQuota(tier: tier)
            defer { quotas[key] = quota }
            return (quota.admit(at: at), quota)
        }
        switch decision {
        case .hold(let until):
            remember(admitted, key)
            return .failed(.rateLimited(retryAfter: until - at))
        case .send(let alert):
            if let alert, let user { await telemetry.observe(.bookingQuotaHigh(owner: user, used: alert.used, cap: alert.cap, at: at)) }
        }
        // The tracker is written while the booking call is out: it overlaps Calendly's round trip
        // instead of adding to the customer's wait.
        async let saved: Void = remember(admitted, key)
        let reply = await inner.perform(call)
        await saved
        if case .failed(.rateLimited(let retryAfter)) = reply {
            let later = now()
            let limited = quotas.withLock { quotas -> BookingQuota? in
                quotas[key]?.rateLimited(at: later, retryAfter: retryAfter)
                return quotas[key]
            }
            if let limited { remember(limited, key) }
        }
        return reply
    }

    /// Best effort: a write that fails only means a restart would count this user's window afresh.
    func remember(_ quota: BookingQuota, _ key: String) {
        try? ledger?.saveQuota(quota, owner: key)
    }

    /// The tracker of one owner (tests, metrics).
    public func quota(of key: String) -> BookingQuota? { quotas.withLock { $0[key] } }
}
