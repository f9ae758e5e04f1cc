import Core
import Effects

/// A Calendly OAuth grant as the simulated Calendly keeps it: it expires, it can be refreshed (the
/// token reference stays; the vault would keep the new pair under it), and its user can revoke it.
struct SimGrant: Sendable, Hashable {
    var expiresAt: Instant
    var revoked = false
}

/// Token expiry, refresh and revoked grants in the simulated world (issue 11), through the `Connection`
/// inputs production sends: the periodic `.tokenCheck` (refreshes within `Connection.refreshAhead` of
/// expiry) and, from a conversation or admin call that got 401, `grantRejected` → `.refreshDue`. A revoked
/// grant makes every call fail `unauthorized` and its next refresh `invalid_grant` (→ `disconnected`);
/// later triggers of that agent resolve to "not offered". Checks stop once nothing but checks is left.
extension SimulationShell {
    /// Calendly granted `token` to agent `agent`: remember it and plan its refresh.
    func granted(_ token: TokenReference, agent: Int, expiresAt: Instant) {
        grants[token] = SimGrant(expiresAt: expiresAt)
        scheduleRefresh(agent, expiresAt: expiresAt)
    }

    func scheduleRefresh(_ agent: Int, expiresAt: Instant) {
        pendingRefreshes += 1
        // `serve` checks every minute; the first check inside the refresh window is the one that acts.
        queue.push(.tokenCheck(agent), at: max(now + .minutes(1), expiresAt - Connection.refreshAhead + .minutes(1)))
    }

    /// A call Calendly would refuse with 401: the grant is unknown, revoked or expired.
    func unauthorized(_ token: TokenReference) -> Bool {
        guard let grant = grants[token] else { return false } // not one of the simulated grants (tests' own tokens)
        return grant.revoked || now >= grant.expiresAt
    }

    /// `POST /oauth/token` with the refresh token.
    func refresh(_ token: TokenReference, agent: Int) -> CalendlyReply {
        guard var grant = grants[token], !grant.revoked else { return .failed(.invalidGrant) }
        grant.expiresAt = now + .hours(2)
        grants[token] = grant
        summary.tokenRefreshes += 1
        // The refresh happened at Calendly but its reply is lost (the connection keeps the old expiry).
        if faultStream.chance(faults.lostResponse) { summary.lostRefreshReplies += 1; return .outcomeUnknown }
        return .tokenGranted(TokenGrant(token: token, owner: Self.user(agent), organization: Self.organization(agent),
                                        scopes: Connection.requiredScopes, expiresAt: grant.expiresAt))
    }

    func tokenCheck(_ agent: Int) {
        pendingRefreshes -= 1
        let id = Self.agentID(agent)
        runConnection(id, .tokenCheck(at: now))
        // Nothing but refreshes left: the world is done; this was the agent's last one.
        guard othersPending, let account = agentState(id)?.0.account else { return }
        scheduleRefresh(agent, expiresAt: account.expiresAt)
    }

    /// The Calendly user revokes the service's access (e.g. from Calendly's integrations page).
    func revokeGrant(_ agent: Int) {
        let token = TokenReference("sim-token-\(agent)")
        guard grants[token] != nil, grants[token]?.revoked == false else { return }
        grants[token]?.revoked = true
        summary.revokedGrants += 1
        digest.mix("revoked:\(agent)")
    }

    /// After the run: an agent shown connected holds a grant Calendly still honours (or is refreshing it).
    func checkGrants() {
        for agent in setups.indices {
            let id = Self.agentID(agent)
            guard let connection = agentState(id)?.0 else { continue }
            switch connection.phase {
            case .connected(let account):
                if grants[account.token]?.revoked == true { violate("\(id): shown connected with a revoked grant") }
            case .disconnected(let reason):
                summary.disconnected += 1
                if grants[TokenReference("sim-token-\(agent)")]?.revoked != true { violate("\(id): disconnected (\(reason)) with a usable grant") }
            case .refreshing, .notConnected, .connecting, .exchangingCode, .loadingUser, .failed:
                break
            }
        }
    }
}
