import Effects

/// The Calendly account connected to one AI Agent (S01). Tokens live in the vault; this state holds
/// only a reference to them and the account's identity.
public struct Connection: Codable, Sendable, Hashable {
    public static let authorizationCodeLifetime = Span.minutes(10)
    /// Least privilege (PRD §17a): read event types and availability, create bookings, manage the
    /// webhook subscription, read the user.
    public static let requiredScopes = ["users:read", "event_types:read", "availability:read", "scheduled_events:write", "webhooks:write"]
    /// Scopes without which booking cannot work at all (the rest degrade features, not booking).
    static let bookingScopes = ["event_types:read", "availability:read", "scheduled_events:write"]
    /// Why a connect was refused when Calendly's grant came without a refresh token (`TokenRotation`).
    public static let noRefreshToken = "no_refresh_token"

    public struct Account: Codable, Sendable, Hashable {
        public var email: String
        public var user: CalendlyURI
        public var organization: CalendlyURI
        public var token: TokenReference
        public var expiresAt: Instant
        public var schedulingURL: String
        /// The plan or granted scopes do not allow booking (S01 ERR-2).
        public var planInsufficient: Bool
    }

    public enum Phase: Codable, Sendable, Hashable {
        case notConnected
        case connecting(OAuthState, startedAt: Instant)
        case exchangingCode(OAuthState, RequestID)
        case loadingUser(TokenGrant, RequestID)
        case connected(Account)
        case refreshing(Account, RequestID)
        /// The last connect attempt failed; shows an inline banner + Retry (S01 ERR-1).
        case failed(reason: String)
        /// Tokens were lost for good (refresh failed permanently); needs a reconnect.
        case disconnected(reason: String)
    }

    public enum Input: Codable, Sendable, Hashable {
        /// The admin clicked "Connect Calendly"; the host minted `state` (and keeps the PKCE verifier under it).
        /// `webhookURL` is where Calendly should deliver this connection's webhooks (`<PUBLIC_BASE_URL>/v1/webhooks/calendly`).
        case connectRequested(OAuthState, webhookURL: String, at: Instant)
        case authorizationGranted(OAuthState, code: String, at: Instant)
        case authorizationDenied(OAuthState, error: String, at: Instant)
        case calendlyReplied(RequestID, CalendlyReply, at: Instant)
        /// A call made with the access token got 401 (a conversation's `grantRejected` notice): refresh now,
        /// whatever the expiry says — only the refresh tells a lapsed token from a revoked grant.
        case refreshDue(at: Instant)
        /// The periodic look at the token (every minute in `serve`): refreshed when it expires within
        /// `refreshAhead`; nothing otherwise (see `Connection+Tokens`).
        case tokenCheck(at: Instant)
        case disconnectRequested(at: Instant)
        /// A disconnect while another connected agent of the same Calendly organization receives its webhooks
        /// through the same subscription (one per organization and URL): the subscription stays.
        case disconnectKeepingSubscription(at: Instant)
        /// The periodic (and start-up) look at the webhook subscription: re-created when missing or disabled.
        case subscriptionCheck(webhookURL: String, at: Instant)
        /// Read back Calendly's bookings in `window` (see `BookingReconciliation`).
        case reconcileDue(BookingReconciliation.Window, at: Instant)
    }

    /// A token being revoked at Calendly. It is deleted from the vault when the reply comes, whatever
    /// it says: revoking needs the token, so deleting first would revoke nothing.
    public struct PendingRevoke: Codable, Sendable, Hashable {
        public var request: RequestID
        public var token: TokenReference
        /// A disconnect: once the last of these is answered, every token of the agent goes.
        public var disconnect: Bool
    }

    /// A disconnect waiting for the webhook subscription's deletion before it revokes `tokens`.
    public struct Teardown: Codable, Sendable, Hashable {
        public var request: RequestID
        public var tokens: [TokenReference]
    }

    public var agent: AgentID
    public var phase: Phase
    /// The account a reconnect would replace; still used for booking while the reconnect runs.
    public var replacing: Account?
    /// Why the last connect attempt failed, for the inline banner + Retry.
    public var lastError: String?
    public var requestsIssued: Int
    /// The webhook subscription this connection keeps at Calendly (issue 6 item 1).
    public var webhooks: WebhookSubscriptionCare
    public var revoking: [PendingRevoke]
    public var teardown: Teardown?
    public var reconciling: ReconciliationRun?
    /// When the refresh in flight (phase `refreshing`) was asked for: one whose reply never came (the
    /// process stopped meanwhile) is asked again after `refreshReplyTimeout`.
    public var refreshStartedAt: Instant?

    public init(agent: AgentID) {
        self.agent = agent; self.phase = .notConnected; self.requestsIssued = 0
        self.webhooks = WebhookSubscriptionCare(); self.revoking = []; self.teardown = nil
    }

    enum CodingKeys: String, CodingKey { case agent, phase, replacing, lastError, requestsIssued, webhooks, revoking, teardown, reconciling, refreshStartedAt }

    /// States stored before subscription care existed decode with none of it.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        agent = try container.decode(AgentID.self, forKey: .agent)
        phase = try container.decode(Phase.self, forKey: .phase)
        replacing = try container.decodeIfPresent(Account.self, forKey: .replacing)
        lastError = try container.decodeIfPresent(String.self, forKey: .lastError)
        requestsIssued = try container.decode(Int.self, forKey: .requestsIssued)
        webhooks = try container.decodeIfPresent(WebhookSubscriptionCare.self, forKey: .webhooks) ?? WebhookSubscriptionCare()
        revoking = try container.decodeIfPresent([PendingRevoke].self, forKey: .revoking) ?? []
        teardown = try container.decodeIfPresent(Teardown.self, forKey: .teardown)
        reconciling = try container.decodeIfPresent(ReconciliationRun.self, forKey: .reconciling)
        refreshStartedAt = try container.decodeIfPresent(Instant.self, forKey: .refreshStartedAt)
    }

    public var account: Account? {
        switch phase {
        case .connected(let account), .refreshing(let account, _): return account
        case .connecting, .exchangingCode, .loadingUser: return replacing
        case .notConnected, .failed, .disconnected: return nil
        }
    }

    /// The line the details form shows (S01 UI states).
    public var statusLine: String {
        switch phase {
        case .notConnected: return Copy.connectPrompt
        case .connecting, .exchangingCode, .loadingUser: return Copy.connecting
        case .connected(let account), .refreshing(let account, _):
            if let lastError { return Copy.connectedAs(account.email) + " · " + (lastError == "access_denied" ? Copy.consentDenied : Copy.connectFailed) }
            return Copy.connectedAs(account.email)
        case .failed(let reason): return reason == "access_denied" ? Copy.consentDenied : Copy.connectFailed
        case .disconnected(let reason): return reason == Connection.refreshRejected ? Copy.grantRejected : Copy.disconnected
        }
    }

    mutating func nextRequest() -> RequestID {
        requestsIssued += 1
        return RequestID("\(agent)/connection/\(requestsIssued)")
    }

    public static func reduce(_ state: inout Connection, _ input: Input) -> [Effect] {
        let hadAccount = state.account != nil
        // Decided before the step, which forgets what the request was for.
        let tokenRefused = state.refusesAccountToken(input)
        var effects = step(&state, input)
        if tokenRefused, case .calendlyReplied(_, _, let now) = input { effects += state.refreshNow(now) }
        if hadAccount, state.account == nil {
            // S01 AC-3/4: the cached event types go with the connection.
            effects.append(.notify(.connectionLost(state.agent)))
        }
        return effects
    }

    static func step(_ state: inout Connection, _ input: Input) -> [Effect] {
        switch input {
        case .connectRequested(let oauthState, let webhookURL, let now):
            // A reconnect replaces the old account only once the new one is confirmed (QA: re-connect
            // overwriting existing); until then the old tokens keep working.
            state.webhooks.callbackURL = webhookURL
            return state.beginConnect(oauthState, now)

        case .authorizationGranted(let oauthState, let code, let now):
            guard case .connecting(let expected, let startedAt) = state.phase, expected == oauthState else {
                return [.reject(Rejection(code: "unknown_oauth_state", message: "This Calendly sign-in link is not valid any more. Start the connection again."))]
            }
            guard now - startedAt <= authorizationCodeLifetime else {
                return state.failConnect("expired", now, cleanup: nil)
            }
            let request = state.nextRequest()
            state.phase = .exchangingCode(oauthState, request)
            return [.calendly(request, .exchangeCode(code: code, verifier: oauthState.rawValue, agent: state.agent))]

        case .authorizationDenied(let oauthState, let error, let now):
            guard case .connecting(let expected, _) = state.phase, expected == oauthState else {
                return [.reject(Rejection(code: "unknown_oauth_state", message: "This Calendly sign-in link is not valid any more. Start the connection again."))]
            }
            return state.failConnect(error == "access_denied" ? "access_denied" : "authorization_error", now, cleanup: nil)

        case .calendlyReplied(let request, let reply, let now):
            return state.handleReply(request, reply, now)

        case .refreshDue(let now):
            return state.refreshNow(now)

        case .tokenCheck(let now):
            return state.checkToken(now)

        case .disconnectRequested, .disconnectKeepingSubscription:
            var tokens: [TokenReference] = []
            switch state.phase {
            case .connected(let account), .refreshing(let account, _): tokens.append(account.token)
            case .loadingUser(let grant, _): tokens.append(grant.token)
            case .notConnected, .connecting, .exchangingCode, .failed, .disconnected: break
            }
            if let old = state.replacing, !tokens.contains(old.token) { tokens.append(old.token) }
            // Clean-ups a crash left unanswered (the runtime otherwise finishes them in the same drive) are
            // taken over by this disconnect: their tokens are revoked and deleted with the rest.
            for token in (state.teardown?.tokens ?? []) + state.revoking.map(\.token) where !tokens.contains(token) { tokens.append(token) }
            state.teardown = nil
            state.revoking = []
            state.refreshStartedAt = nil
            state.phase = .notConnected
            state.replacing = nil
            state.lastError = nil
            // Booking stops now (the state has no account). At Calendly: the webhook subscription goes
            // first, then the grant is revoked, and each token is deleted when its revoke is answered —
            // success or failure (S01 AC-4): a revoke needs the token, so deleting first revoked nothing.
            var subscription = state.webhooks.subscription
            if case .disconnectKeepingSubscription = input { subscription = nil }
            state.webhooks = WebhookSubscriptionCare(callbackURL: state.webhooks.callbackURL)
            if let subscription, let token = tokens.first {
                let request = state.nextRequest()
                state.teardown = Teardown(request: request, tokens: tokens)
                return [.calendly(request, .deleteWebhookSubscription(token, subscription))]
            }
            // Nothing to revoke: whatever the vault still holds for the agent goes now.
            if tokens.isEmpty { return [.store(.deleteTokens(state.agent))] }
            return tokens.map { state.revoke($0, disconnect: true) }

        case .subscriptionCheck(let webhookURL, let now):
            return state.checkSubscription(webhookURL: webhookURL, now)

        case .reconcileDue(let window, let now):
            return state.reconcile(window, now)
        }
    }

    /// Asks Calendly to revoke `token`; the reply deletes it (`revokeReplied`).
    mutating func revoke(_ token: TokenReference, disconnect: Bool) -> Effect {
        let request = nextRequest()
        revoking.append(PendingRevoke(request: request, token: token, disconnect: disconnect))
        return .calendly(request, .revokeToken(token))
    }

    mutating func revokeReplied(_ pending: PendingRevoke, _ reply: CalendlyReply) -> [Effect] {
        revoking.removeAll { $0.request == pending.request }
        var effects: [Effect] = [.store(.deleteToken(pending.token))]
        if case .revoked = reply {} else {
            effects.append(.log(LogEntry(.warning, "calendly revoke for \(agent) not confirmed; the token is deleted anyway")))
        }
        var holdsTokens = account != nil
        if case .loadingUser = phase { holdsTokens = true }
        if pending.disconnect, !revoking.contains(where: \.disconnect), !holdsTokens {
            // The last revoke of a disconnect: nothing of the agent's may stay in the vault.
            effects.append(.store(.deleteTokens(agent)))
        }
        return effects
    }

    /// The subscription is gone (or could not be deleted): now the grant is revoked.
    mutating func teardownReplied(_ teardown: Teardown, _ reply: CalendlyReply) -> [Effect] {
        self.teardown = nil
        var effects: [Effect] = []
        switch reply {
        case .webhookSubscriptionDeleted, .failed(.notFound): break
        case .tokenGranted, .user, .revoked, .eventTypes, .eventType, .availableTimes, .inviteeCreated, .inviteeFound,
             .webhookSubscription, .webhookSubscriptions, .failed, .outcomeUnknown, .scheduledInvitees:
            effects.append(.log(LogEntry(.warning, "could not delete the calendly webhook subscription of \(agent)")))
        }
        return effects + teardown.tokens.map { revoke($0, disconnect: true) }
    }

    mutating func beginConnect(_ oauthState: OAuthState, _ now: Instant) -> [Effect] {
        // A reconnect keeps the old account until the new one is confirmed (QA: re-connect
        // overwriting existing): booking keeps working, and a failed reconnect falls back to it.
        if let account { replacing = account }
        phase = .connecting(oauthState, startedAt: now)
        lastError = nil
        return []
    }

    mutating func handleReply(_ request: RequestID, _ reply: CalendlyReply, _ now: Instant) -> [Effect] {
        if let pending = revoking.first(where: { $0.request == request }) { return revokeReplied(pending, reply) }
        if let teardown, teardown.request == request { return teardownReplied(teardown, reply) }
        if webhooks.waits(on: request) { return subscriptionReplied(reply, now) }
        if let run = reconciling, run.request == request { return reconciliationReplied(run, reply) }
        switch phase {
        case .exchangingCode(_, let expected) where expected == request:
            switch reply {
            case .tokenGranted(let grant) where !grant.refreshable:
                // A grant Calendly gave without a refresh token would show "connected" and die when its
                // access token expires (two hours), with every booking after that ending in the apology.
                // Refused now, the admin sees why and retries; the token is revoked.
                return failConnect(Connection.noRefreshToken, now, cleanup: grant.token)
            case .tokenGranted(let grant):
                let next = nextRequest()
                phase = .loadingUser(grant, next)
                return [.calendly(next, .currentUser(grant.token))]
            case .failed(let failure):
                return failConnect(failure.reason, now, cleanup: nil)
            case .outcomeUnknown:
                return failConnect("timeout", now, cleanup: nil)
            case .user, .revoked, .eventTypes, .eventType, .availableTimes, .inviteeCreated, .inviteeFound, .webhookSubscription,
                 .webhookSubscriptions, .webhookSubscriptionDeleted, .scheduledInvitees:
                return failConnect("unexpected_reply", now, cleanup: nil)
            }

        case .loadingUser(let grant, let expected) where expected == request:
            switch reply {
            case .user(let user):
                let granted = Set(grant.scopes)
                let missing = Connection.bookingScopes.filter { !granted.contains($0) }
                let account = Account(
                    email: user.email, user: user.uri, organization: user.organization, token: grant.token,
                    expiresAt: grant.expiresAt, schedulingURL: user.schedulingURL, planInsufficient: !missing.isEmpty
                )
                phase = .connected(account)
                var effects: [Effect] = [.emit(.connected(agent: agent, accountEmail: user.email, organization: user.organization, at: now))]
                if let old = replacing, old.token != grant.token {
                    effects.append(revoke(old.token, disconnect: false))
                }
                replacing = nil
                // Webhooks confirm and cancel bookings: subscribe (409 "already exists" counts as done).
                return effects + (account.planInsufficient ? [] : subscribe(account, recreating: nil))
            case .failed(let failure):
                return failConnect(failure.reason, now, cleanup: grant.token)
            case .outcomeUnknown:
                return failConnect("timeout", now, cleanup: grant.token)
            case .tokenGranted, .revoked, .eventTypes, .eventType, .availableTimes, .inviteeCreated, .inviteeFound, .webhookSubscription,
                 .webhookSubscriptions, .webhookSubscriptionDeleted, .scheduledInvitees:
                return failConnect("unexpected_reply", now, cleanup: grant.token)
            }

        case .refreshing(let account, let expected) where expected == request:
            return refreshReplied(account, reply)

        case .notConnected, .connecting, .exchangingCode, .loadingUser, .connected, .refreshing, .failed, .disconnected:
            // A reply to a request this state no longer waits for (revoke, or a superseded attempt).
            // A superseded grant (disconnect or a new connect while the exchange ran) left tokens in the vault
            // that nothing references: delete and revoke them, unless a held account still uses that reference
            // (a refresh rotates tokens under the same reference).
            if case .tokenGranted(let stale) = reply {
                var held = [account?.token, replacing?.token]
                if case .loadingUser(let grant, _) = phase { held.append(grant.token) }
                if !held.contains(stale.token) { return [revoke(stale.token, disconnect: false)] }
            }
            return []
        }
    }

    mutating func failConnect(_ reason: String, _ now: Instant, cleanup token: TokenReference?) -> [Effect] {
        if let previous = replacing {
            phase = .connected(previous)
            replacing = nil
        } else {
            phase = .failed(reason: reason)
        }
        lastError = reason
        var effects: [Effect] = [.emit(.connectFailed(agent: agent, reason: reason, at: now))]
        if let token {
            // S01 ERR-1: no connection is stored when the flow fails after the exchange.
            effects.append(revoke(token, disconnect: false))
        }
        return effects
    }

    public func checkInvariants() -> [Violation] {
        var violations: [Violation] = []
        if let account, account.email.isEmpty { violations.append(Violation("connection \(agent): connected without an account email")) }
        return violations
    }
}

/// A broken invariant, reported by tests and the simulator after every step.
public struct Violation: Codable, Sendable, Hashable, CustomStringConvertible {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}
