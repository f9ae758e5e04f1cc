@testable import Core
import Effects
import PropertyBased
import Testing

/// Issue 11 defect 2: whatever the order and timing of token checks, 401 notices and refresh replies
/// (granted, refused, failed, lost, late), the connection keeps one refresh out at a time, refreshes
/// ahead exactly when the core's rule says so, and a refused refresh is the end of the grant.
@Suite struct ConnectionTokenProperties {
    static let start = Instant(iso8601: "2026-11-25T00:00:00Z")!
    static let agent: AgentID = "agent-p"
    static let token: TokenReference = "tok-p"

    /// Token expiries, extremes included: far past, just before/after the refresh-ahead edge, far future.
    static let expiries: [Instant] = [
        Instant(millisecondsSince1970: .min), Instant(millisecondsSince1970: .max), start, start + .hours(2),
        start + Connection.refreshAhead, start + Connection.refreshAhead - .milliseconds(1), start - .days(400),
    ]

    /// A connection that went through the whole connect flow, its token expiring at `expiresAt`.
    static func connected(expiresAt: Instant) -> Connection {
        var connection = Connection(agent: agent)
        _ = Connection.reduce(&connection, .connectRequested("state-p", webhookURL: "https://bot.example/v1/webhooks/calendly", at: start))
        let exchange = Connection.reduce(&connection, .authorizationGranted("state-p", code: "code-p", at: start))
        let grant = TokenGrant(token: token, owner: "https://api.calendly.com/users/U", organization: "https://api.calendly.com/organizations/O",
                               scopes: Connection.requiredScopes, expiresAt: expiresAt)
        let user = Connection.reduce(&connection, .calendlyReplied(request(exchange)!, .tokenGranted(grant), at: start))
        _ = Connection.reduce(&connection, .calendlyReplied(request(user)!, .user(CalendlyUser(
            uri: "https://api.calendly.com/users/U", email: "p@example.com", organization: "https://api.calendly.com/organizations/O",
            schedulingURL: "https://calendly.com/p")), at: start))
        return connection
    }

    static func request(_ effects: [Effect]) -> RequestID? {
        for effect in effects { if case .calendly(let request, _) = effect { return request } }
        return nil
    }

    static func refreshes(_ effects: [Effect]) -> [RequestID] {
        effects.compactMap { if case .calendly(let request, .refreshToken) = $0 { return request } else { return nil } }
    }

    static func gap(_ code: Int) -> Span {
        switch code {
        case 0: return .milliseconds(0)
        case 1: return .seconds(7)
        case 2: return .minutes(1)
        case 3: return .minutes(4)
        case 4: return .hours(1)
        default: return Span(milliseconds: .max)   // the end of time: saturates, never traps
        }
    }

    static func reply(_ code: Int, _ now: Instant, lifetime: Int) -> CalendlyReply {
        switch code {
        case 0: return .tokenGranted(TokenGrant(token: token, owner: "u", organization: "o", scopes: [], expiresAt: now + .minutes(Int64(lifetime))))
        case 1: return .failed(.invalidGrant)
        case 2: return .failed(.unauthorized)
        case 3: return .failed(.serverError(status: 503))
        case 4: return .outcomeUnknown
        default: return .failed(.rateLimited(retryAfter: .seconds(30)))
        }
    }

    /// (initial expiry, steps of (what happens, gap before it, reply kind, granted lifetime in minutes)).
    static let scripts = zip(Gen.int(in: 0...(expiries.count - 1)),
                             zip(Gen.int(in: 0...5), Gen.int(in: 0...5), Gen.int(in: 0...5), Gen.int(in: 0...180)).array(of: 1...60))

    @Test func oneRefreshAtATimeAndARefusedRefreshEndsTheGrant() async {
        await propertyCheck(count: 300, input: Self.scripts) { expiryIndex, steps in
            var connection = Self.connected(expiresAt: Self.expiries[expiryIndex])
            var now = Self.start
            var outstanding: [RequestID] = []   // every refresh asked for whose reply has not been delivered
            var disconnected = false
            for (kind, gapCode, replyCode, lifetime) in steps {
                now = now + Self.gap(gapCode)
                let before = connection
                let input: Connection.Input
                switch kind {
                case 0, 1: input = .tokenCheck(at: now)
                case 2: input = .refreshDue(at: now)
                case 3, 4:
                    // Calendly answers the oldest refresh still out (the current one, or a superseded one).
                    guard let request = outstanding.first else { continue }
                    outstanding.removeFirst()
                    input = .calendlyReplied(request, Self.reply(replyCode, now, lifetime: lifetime), at: now)
                default:
                    // The reply is lost for good (the process stopped while the refresh was out).
                    if !outstanding.isEmpty { outstanding.removeFirst() }
                    continue
                }
                let due = connection.tokenCheckDue(at: now)
                let effects = Connection.reduce(&connection, input)
                let asked = Self.refreshes(effects)
                outstanding += asked
                #expect(asked.count <= 1, "two refreshes in one step: \(effects)")

                // Single-flight: a new refresh only from connected, or when the one out is presumed lost.
                if !asked.isEmpty {
                    switch before.phase {
                    case .connected: break
                    case .refreshing:
                        #expect(before.refreshLost(now), "a second refresh while one was out \(before.refreshStartedAt.map { "since \($0)" } ?? "")")
                    case .notConnected, .connecting, .exchangingCode, .loadingUser, .failed, .disconnected:
                        Issue.record("refresh asked in \(before.phase)")
                    }
                }
                if case .tokenCheck = input {
                    #expect(due == !asked.isEmpty, "tokenCheckDue disagrees with the reducer")
                    if case .connected(let account) = before.phase {
                        #expect(!asked.isEmpty == (account.expiresAt - now < Connection.refreshAhead), "refresh-ahead rule broken at \(now), expiry \(account.expiresAt)")
                    }
                }
                if disconnected {
                    #expect(connection.phase == before.phase, "a dead grant came back: \(input)")
                    // A late grant from a superseded refresh put a live pair in the vault that nothing holds:
                    // revoking it (then deleting it) is the only thing a dead connection still does.
                    let revokesOnly = effects.allSatisfy { if case .calendly(_, .revokeToken) = $0 { true } else { false } }
                    var lateGrant = false
                    if case .calendlyReplied(_, .tokenGranted, _) = input { lateGrant = true }
                    #expect(effects.isEmpty || (lateGrant && revokesOnly), "a dead grant acted on \(input): \(effects)")
                }
                if case .disconnected(let reason) = connection.phase {
                    #expect(reason == Connection.refreshRejected)
                    #expect(connection.account == nil)
                    if !disconnected {
                        // Only the reply to the refresh in flight, refusing it, ends the grant.
                        guard case .refreshing(_, let current) = before.phase, case .calendlyReplied(let request, let reply, _) = input, request == current else {
                            Issue.record("disconnected by \(input) in \(before.phase)"); return
                        }
                        #expect(reply == .failed(.invalidGrant) || reply == .failed(.unauthorized))
                        #expect(effects.contains(.store(.deleteToken(Self.token))) && effects.contains(.notify(.connectionLost(Self.agent))))
                    }
                    disconnected = true
                } else {
                    #expect(connection.account?.token == Self.token, "connected without its token in \(connection.phase)")
                    #expect(!effects.contains { if case .store(.deleteToken) = $0 { true } else { false } }, "a token deleted while connected")
                }
                #expect(connection.checkInvariants().isEmpty)
            }
        }
    }
}
