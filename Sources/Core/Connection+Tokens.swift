import Effects

/// The token lifecycle of a connection (issue 11 defect 2). The interpreter performs exactly the call
/// it is given and reports what Calendly said; *when* to refresh, that only one refresh is out at a
/// time, and what a refused refresh means are decided here:
///
///     connected ─tokenCheck (expires within refreshAhead)─▶ refreshing ─granted─▶ connected (new expiry)
///         │      refreshDue (a call got 401)  ──────────────▲    ├─transient failure─▶ connected (retried by the next check)
///         │      own call got 401 ──────────────────────────┘    └─invalid_grant / 401─▶ disconnected("refresh_rejected")
///
/// Calendly refresh tokens are single-use: the interpreter saves the rotated pair in the vault under
/// the same reference before it reports `tokenGranted`, so the account keeps its reference.
extension Connection {
    /// A token with less than this left is refreshed by the periodic check, so calls never go out on a
    /// token about to lapse. Calendly's access tokens live two hours; `serve` checks every minute.
    public static let refreshAhead = Span.minutes(10)
    /// A refresh with no reply after this long was lost (the process stopped while it was out); the
    /// next check or 401 asks again. Far beyond the refresh call's own latency budget.
    public static let refreshReplyTimeout = Span.minutes(2)
    /// Why a connection whose refresh Calendly refused is disconnected (shown to the admin).
    public static let refreshRejected = "refresh_rejected"

    /// The periodic look: refresh ahead of expiry; nothing otherwise. Single-flight: a refresh already
    /// out is not doubled (unless its reply was lost).
    mutating func checkToken(_ now: Instant) -> [Effect] {
        switch phase {
        case .connected(let account):
            // Saturating arithmetic: an absurd stored expiry is "far away" or "past", never a trap.
            guard account.expiresAt - now < Connection.refreshAhead else { return [] }
            return beginRefresh(account, now)
        case .refreshing(let account, _):
            return refreshLost(now) ? beginRefresh(account, now) : []
        case .notConnected, .connecting, .exchangingCode, .loadingUser, .failed, .disconnected:
            return []
        }
    }

    /// Whether a `tokenCheck` at `now` would do anything: the periodic job asks first, so it journals no
    /// empty step per agent per minute. The answer is the reducer's own (it runs on a copy).
    public func tokenCheckDue(at now: Instant) -> Bool {
        var copy = self
        return !copy.checkToken(now).isEmpty
    }

    /// Calendly refused the access token: refresh now, whatever the expiry says. A revoked grant shows
    /// up as a 401 first; only the refresh (refused, or not) tells it from a token that merely lapsed.
    mutating func refreshNow(_ now: Instant) -> [Effect] {
        switch phase {
        case .connected(let account):
            return beginRefresh(account, now)
        case .refreshing(let account, _):
            return refreshLost(now) ? beginRefresh(account, now) : []
        case .notConnected, .connecting, .exchangingCode, .loadingUser, .failed, .disconnected:
            // Nothing connected to refresh: a disconnected agent stays so until the admin reconnects.
            return []
        }
    }

    /// A reply of Calendly's that refused the account's token to one of the connection's own calls
    /// (subscription care, reconciliation): those go out with the account's token, like bookings do.
    /// Revokes, the code exchange and the refresh itself are not about a token in use.
    func refusesAccountToken(_ input: Input) -> Bool {
        guard case .calendlyReplied(let request, .failed(.unauthorized), _) = input else { return false }
        return webhooks.waits(on: request) || reconciling?.request == request
    }

    /// True when no refresh reply can still be expected (or a state stored before the start time was kept).
    func refreshLost(_ now: Instant) -> Bool {
        guard let started = refreshStartedAt else { return true }
        return now - started >= Connection.refreshReplyTimeout
    }

    mutating func beginRefresh(_ account: Account, _ now: Instant) -> [Effect] {
        let request = nextRequest()
        phase = .refreshing(account, request)
        refreshStartedAt = now
        return [.calendly(request, .refreshToken(account.token))]
    }

    mutating func refreshReplied(_ account: Account, _ reply: CalendlyReply) -> [Effect] {
        refreshStartedAt = nil
        var account = account
        switch reply {
        case .tokenGranted(let grant):
            // The rotated pair is in the vault under the same reference already. A grant no longer
            // `refreshable` still holds a working access token: it stays connected until then, and its
            // next refresh is refused (nothing to offer) and disconnects it like any refused refresh.
            account.token = grant.token
            account.expiresAt = grant.expiresAt
            phase = .connected(account)
            return []
        case .failed(.invalidGrant), .failed(.unauthorized):
            // Refresh tokens are single-use; a rejected one never works again (PRD §6.7). The grant is
            // dead at Calendly already: nothing to revoke, and the subscription cannot be reached with it
            // (a reconnect subscribes again). `reduce` tells the config (`connectionLost`): no offers.
            phase = .disconnected(reason: Connection.refreshRejected)
            webhooks = WebhookSubscriptionCare(callbackURL: webhooks.callbackURL)
            return [.store(.deleteToken(account.token)), .log(LogEntry(.warning, "calendly refresh rejected for \(agent); disconnected"))]
        case .failed, .outcomeUnknown:
            // Transient: keep the account; the next check (or 401) tries again.
            phase = .connected(account)
            return [.log(LogEntry(.warning, "calendly token refresh failed transiently for \(agent)"))]
        case .user, .revoked, .eventTypes, .eventType, .availableTimes, .inviteeCreated, .inviteeFound, .webhookSubscription,
             .webhookSubscriptions, .webhookSubscriptionDeleted, .scheduledInvitees:
            phase = .connected(account)
            return [.log(LogEntry(.error, "unexpected reply to token refresh for \(agent)"))]
        }
    }
}
