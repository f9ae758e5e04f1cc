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
        case connectRequested(OAuthState, at: Instant)
        case authorizationGranted(OAuthState, code: String, at: Instant)
        case authorizationDenied(OAuthState, error: String, at: Instant)
        case calendlyReplied(RequestID, CalendlyReply, at: Instant)
        /// The access token is near expiry or a call got 401.
        case refreshDue(at: Instant)
        case disconnectRequested(at: Instant)
    }

    public var agent: AgentID
    public var phase: Phase
    /// The account a reconnect would replace; still used for booking while the reconnect runs.
    public var replacing: Account?
    /// Why the last connect attempt failed, for the inline banner + Retry.
    public var lastError: String?
    public var requestsIssued: Int

    public init(agent: AgentID) { self.agent = agent; self.phase = .notConnected; self.requestsIssued = 0 }

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
        case .disconnected: return Copy.disconnected
        }
    }

    mutating func nextRequest() -> RequestID {
        requestsIssued += 1
        return RequestID("\(agent)/connection/\(requestsIssued)")
    }

    public static func reduce(_ state: inout Connection, _ input: Input) -> [Effect] {
        switch input {
        case .connectRequested(let oauthState, let now):
            // A reconnect replaces the old account only once the new one is confirmed (QA: re-connect
            // overwriting existing); until then the old tokens keep working.
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
            return [.calendly(request, .exchangeCode(code: code, verifier: oauthState.rawValue))]

        case .authorizationDenied(let oauthState, let error, let now):
            guard case .connecting(let expected, _) = state.phase, expected == oauthState else {
                return [.reject(Rejection(code: "unknown_oauth_state", message: "This Calendly sign-in link is not valid any more. Start the connection again."))]
            }
            return state.failConnect(error == "access_denied" ? "access_denied" : "authorization_error", now, cleanup: nil)

        case .calendlyReplied(let request, let reply, let now):
            return state.handleReply(request, reply, now)

        case .refreshDue:
            guard case .connected(let account) = state.phase else { return [] }
            let request = state.nextRequest()
            state.phase = .refreshing(account, request)
            return [.calendly(request, .refreshToken(account.token))]

        case .disconnectRequested:
            var tokens: [TokenReference] = []
            switch state.phase {
            case .connected(let account), .refreshing(let account, _): tokens.append(account.token)
            case .loadingUser(let grant, _): tokens.append(grant.token)
            case .notConnected, .connecting, .exchangingCode, .failed, .disconnected: break
            }
            if let old = state.replacing, !tokens.contains(old.token) { tokens.append(old.token) }
            state.phase = .notConnected
            state.replacing = nil
            state.lastError = nil
            // Delete first: a failed revoke must never leave tokens behind (S01 AC-4).
            var effects: [Effect] = [.store(.deleteTokens(state.agent))]
            for token in tokens { effects.append(.calendly(state.nextRequest(), .revokeToken(token))) }
            return effects
        }
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
        switch phase {
        case .exchangingCode(_, let expected) where expected == request:
            switch reply {
            case .tokenGranted(let grant):
                let next = nextRequest()
                phase = .loadingUser(grant, next)
                return [.calendly(next, .currentUser(grant.token))]
            case .failed(let failure):
                return failConnect(failure.reason, now, cleanup: nil)
            case .outcomeUnknown:
                return failConnect("timeout", now, cleanup: nil)
            case .user, .revoked, .eventTypes, .eventType, .availableTimes, .inviteeCreated, .inviteeFound:
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
                    effects.append(.store(.deleteToken(old.token)))
                    effects.append(.calendly(nextRequest(), .revokeToken(old.token)))
                }
                replacing = nil
                return effects
            case .failed(let failure):
                return failConnect(failure.reason, now, cleanup: grant.token)
            case .outcomeUnknown:
                return failConnect("timeout", now, cleanup: grant.token)
            case .tokenGranted, .revoked, .eventTypes, .eventType, .availableTimes, .inviteeCreated, .inviteeFound:
                return failConnect("unexpected_reply", now, cleanup: grant.token)
            }

        case .refreshing(var account, let expected) where expected == request:
            switch reply {
            case .tokenGranted(let grant):
                account.token = grant.token
                account.expiresAt = grant.expiresAt
                phase = .connected(account)
                return []
            case .failed(.invalidGrant), .failed(.unauthorized):
                // Refresh tokens are single-use; a rejected one never works again (PRD §6.7).
                phase = .disconnected(reason: "refresh_rejected")
                return [.store(.deleteToken(account.token)), .log(LogEntry(.warning, "calendly refresh rejected for \(agent); disconnected"))]
            case .failed, .outcomeUnknown:
                // Transient: keep the account; the next call or timer tries again.
                phase = .connected(account)
                return [.log(LogEntry(.warning, "calendly token refresh failed transiently for \(agent)"))]
            case .user, .revoked, .eventTypes, .eventType, .availableTimes, .inviteeCreated, .inviteeFound:
                phase = .connected(account)
                return [.log(LogEntry(.error, "unexpected reply to token refresh for \(agent)"))]
            }

        case .notConnected, .connecting, .exchangingCode, .loadingUser, .connected, .refreshing, .failed, .disconnected:
            // A reply to a request this state no longer waits for (revoke, or a superseded attempt).
            // A superseded grant (disconnect or a new connect while the exchange ran) left tokens in the vault
            // that nothing references: delete and revoke them, unless a held account still uses that reference
            // (a refresh rotates tokens under the same reference).
            if case .tokenGranted(let stale) = reply {
                var held = [account?.token, replacing?.token]
                if case .loadingUser(let grant, _) = phase { held.append(grant.token) }
                if !held.contains(stale.token) {
                    return [.store(.deleteToken(stale.token)), .calendly(nextRequest(), .revokeToken(stale.token))]
                }
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
            effects += [.store(.deleteToken(token)), .calendly(nextRequest(), .revokeToken(token))]
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
