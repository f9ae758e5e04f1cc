@testable import Core
import Effects
import PropertyBased
import Testing

/// Issue 11: which refresh token a connection keeps, and what a grant without one means, are Core's.
/// Calendly refresh tokens are single-use, so a reply that leaves one out keeps the one held; a grant
/// with none at all is refused at connect rather than shown "connected" until it dies.
@Suite struct TokenRotationProperties {
    static let tokens: [String?] = [nil, "", "r-1", "r-2", String(repeating: "r", count: 100_000), " "]

    @Test func aReplyWithoutARefreshTokenKeepsTheHeldOneAndAnEmptyOneIsNone() async {
        await propertyCheck(count: 200, input: Gen.int(in: 0...(Self.tokens.count - 1)), Gen.int(in: 0...(Self.tokens.count - 1))) { r, p in
            let replied = Self.tokens[r], previous = Self.tokens[p]
            let kept = TokenRotation.refreshToken(replied: replied, previous: previous)
            #expect(kept != "", "an empty token is never kept: \(r) \(p)")
            if let replied, !replied.isEmpty { #expect(kept == replied, "a new token replaces the spent one: \(r) \(p)") }
            else if let previous, !previous.isEmpty { #expect(kept == previous, "the held one stays: \(r) \(p)") }
            else { #expect(kept == nil, "none at all: \(r) \(p)") }
        }
    }

    @Test func aTokenLastsWhatCalendlySaidOrTwoHoursAndNeverTraps() async {
        let stated = Gen.oneOf(Gen.always(Int.min), Gen.always(Int.max), Gen.always(0), Gen.int(in: -10_000...100_000))
        await propertyCheck(count: 200, input: Gen.bool, stated) { present, seconds in
            let lifetime = TokenRotation.lifetime(expiresIn: present ? seconds : nil)
            #expect(lifetime == (present ? .seconds(Int64(seconds)) : .seconds(7200)), "\(present) \(seconds)")
            _ = Self.start + lifetime   // saturates at the ends of time
        }
    }

    @Test func aReplyWithoutScopesKeepsTheHeldOnesAndAFirstGrantWithoutScopesHasNone() async {
        let vocabulary = ["users:read", "event_types:read", "availability:read", "scheduled_events:write", "webhooks:write", "default"]
        let separators = [" ", ",", "  ", ", "]
        await propertyCheck(count: 200, input: Gen.int(in: 0...(vocabulary.count - 1)).array(of: 0...6), Gen.int(in: 0...(separators.count - 1)),
                            Gen.int(in: 0...2)) { picks, separator, form in
            let granted = picks.map { vocabulary[$0] }
            let held: [String]? = form == 2 ? nil : ["users:read"]
            let replied: String? = form == 1 ? nil : granted.joined(separator: separators[separator])
            let scopes = TokenRotation.scopes(replied: replied, previous: held)
            if let replied { #expect(scopes == granted, "\(replied)") } else { #expect(scopes == held ?? [], "kept: \(String(describing: held))") }
            #expect(!scopes.contains(""), "no empty scope: \(String(describing: replied))")
        }
    }

    @Test func noScopesAnywhereIsNoScopes() { #expect(TokenRotation.scopes(replied: nil, previous: nil).isEmpty) }

    static let start = Instant(iso8601: "2026-11-25T00:00:00Z")!
    static let expiries: [Instant] = [Instant(millisecondsSince1970: .min), Instant(millisecondsSince1970: .max), start, start + .hours(2)]

    /// Connects (optionally over an existing connection) and answers the exchange with `grant`.
    static func connect(over existing: Bool, grant: TokenGrant) -> (Connection, [Effect]) {
        var connection = ConnectionTokenProperties.connected(expiresAt: start + .hours(2))
        if !existing { connection = Connection(agent: ConnectionTokenProperties.agent) }
        _ = Connection.reduce(&connection, .connectRequested("state-r", webhookURL: "https://bot.example/v1/webhooks/calendly", at: start))
        let exchange = Connection.reduce(&connection, .authorizationGranted("state-r", code: "code-r", at: start))
        let effects = Connection.reduce(&connection, .calendlyReplied(ConnectionTokenProperties.request(exchange)!, .tokenGranted(grant), at: start))
        return (connection, effects)
    }

    @Test func aGrantWithoutARefreshTokenIsRefusedAtConnectAndRevoked() async {
        await propertyCheck(count: 100, input: Gen.int(in: 0...(Self.expiries.count - 1)), Gen.bool, Gen.bool) { expiry, existing, refreshable in
            let grant = TokenGrant(token: "tok-new", owner: "https://api.calendly.com/users/U", organization: "https://api.calendly.com/organizations/O",
                                   scopes: Connection.requiredScopes, expiresAt: Self.expiries[expiry], refreshable: refreshable)
            let (connection, effects) = Self.connect(over: existing, grant: grant)
            let revokes = effects.contains { if case .calendly(_, .revokeToken("tok-new")) = $0 { return true } else { return false } }
            if refreshable {
                #expect(!revokes, "a refreshable grant is kept: \(expiry) \(existing)")
                guard case .loadingUser = connection.phase else { Issue.record("a refreshable grant goes on to the user: \(connection.phase)"); return }
            } else {
                #expect(revokes, "the refused grant is revoked: \(expiry) \(existing)")
                #expect(connection.lastError == Connection.noRefreshToken)
                switch connection.phase {
                case .failed(let reason): #expect(!existing && reason == Connection.noRefreshToken)
                case .connected(let account): #expect(existing && account.token == ConnectionTokenProperties.token, "the held connection stays")
                case .notConnected, .connecting, .exchangingCode, .loadingUser, .refreshing, .disconnected:
                    Issue.record("a refused grant leaves \(connection.phase)")
                }
            }
        }
    }
}
