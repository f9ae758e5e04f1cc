@testable import Core
import Effects
import Foundation
import Testing

/// CALENDLY-PH2-S01 — Admin connects a Calendly account to the AI Agent.
@Suite struct S01ConnectTests {
    typealias F = Fixtures

    @Test func S01_AC1_calendlyRowShownToEntitledAdmin() {
        var t = Transcript("an entitled admin (AI Agent + Native Integrations add-on + ai_agent_calendly_action ON) sees the Calendly row in `Other integration`; no one else does (no 403, not rendered)")
        let cases: [(String, Principal)] = [
            ("admin, fully entitled", F.principal(.admin)),
            ("supervisor, fully entitled", F.principal(.supervisor)),
            ("agent, fully entitled", F.principal(.agent)),
            ("admin, flag OFF", F.principal(.admin, flags: [])),
            ("admin, no Native Integrations add-on", F.principal(.admin, addons: [])),
            ("admin, no AI Agent feature", F.principal(.admin, features: [])),
        ]
        var rows: [String: DrawerRow?] = [:]
        for (label, principal) in cases {
            let row = ActionDrawer.calendlyRow(for: principal)
            rows[label] = row
            t.call("ActionDrawer.calendlyRow \(GoldenJSON.encode(principal))", outputs: [row.map(GoldenJSON.encode) ?? "<no row>"],
                   "\(label): \(row == nil ? "not rendered" : "rendered")")
        }
        let row = ActionDrawer.calendlyRow(for: F.principal(.admin))
        #expect(row?.group == "Other integration")
        #expect(row?.name == "Calendly")
        #expect(row?.description.isEmpty == false)
        // PRD §6: the brand mark is a guarded slot until the real SVG exists — never a placeholder icon name.
        #expect(row?.brandMark == Copy.brandMarkSlot)
        #expect(row?.brandMark.contains("CALENDLY_BRAND_SVG_PENDING") == true)
        for (label, principal) in cases.dropFirst() {
            #expect(ActionDrawer.calendlyRow(for: principal) == nil, "\(label) must not see the row")
        }
        #expect(rows.count == cases.count)
        t.verify()
    }

    @Test func S01_AC2_connectShowsConnectedAs() {
        var t = Transcript("an admin not yet connected clicks Connect Calendly, approves consent, and returns to “Connected as {email}”")
        var clock = VirtualClock()
        var connection = Connection(agent: F.agent)
        t.given("a fresh agent", Digest.connection(connection))
        #expect(connection.statusLine == Copy.connectPrompt)

        let start = t.connection(&connection, .connectRequested("oauth-state-1", webhookURL: F.webhookURL, at: clock.now))
        #expect(start.isEmpty)
        #expect(connection.statusLine == "Connecting…")

        clock.advance(.seconds(40))
        let exchange = t.connection(&connection, .authorizationGranted("oauth-state-1", code: "code-abc", at: clock.now))
        // The code is exchanged with the PKCE verifier the host stored under the OAuth state.
        #expect(F.calls(exchange) == [.exchangeCode(code: "code-abc", verifier: "oauth-state-1", agent: F.agent)])

        clock.advance(.seconds(1))
        let user = t.connection(&connection, .calendlyReplied(F.requestID(exchange)!, .tokenGranted(F.grant()), at: clock.now))
        #expect(F.calls(user) == [.currentUser(F.token)])

        clock.advance(.seconds(1))
        let done = t.connection(&connection, .calendlyReplied(F.requestID(user)!, .user(F.calendlyUser), at: clock.now))
        #expect(connection.statusLine == "Connected as ops@acme.example")
        #expect(connection.account?.email == F.adminEmail)
        #expect(connection.account?.organization == F.organization)
        #expect(F.events(done) == [.connected(agent: F.agent, accountEmail: F.adminEmail, organization: F.organization, at: clock.now)])
        #expect(F.stores(done).isEmpty)

        // Event types become fetchable with the connection's token reference.
        var config = ActionConfig(agent: F.agent)
        let open = t.config(&config, .opened(F.configAccount(connection), at: clock.now))
        #expect(F.calls(open) == [.listEventTypes(F.token, user: F.user)])
        t.verify()
    }

    @Test func S01_AC3_tokensStoredOnlyAsReference() throws {
        var t = Transcript("after a connection the core holds only a token *reference* and the account identity; the secrets stay in the vault (interpreter side)")
        let clock = VirtualClock()
        // What the interpreter's vault holds for the reference; the core must never see these strings.
        let vault: [TokenReference: (access: String, refresh: String)] = [F.token: ("eyJ-ACCESS-SECRET", "REFRESH-SECRET-123")]
        var connection = Connection(agent: F.agent)
        var effects: [Effect] = []
        effects += t.connection(&connection, .connectRequested("oauth-state-1", webhookURL: F.webhookURL, at: clock.now))
        let exchange = t.connection(&connection, .authorizationGranted("oauth-state-1", code: "code-abc", at: clock.now))
        effects += exchange
        let user = t.connection(&connection, .calendlyReplied(F.requestID(exchange)!, .tokenGranted(F.grant()), at: clock.now))
        effects += user
        effects += t.connection(&connection, .calendlyReplied(F.requestID(user)!, .user(F.calendlyUser), at: clock.now))
        var config = ActionConfig(agent: F.agent)
        let open = t.config(&config, .opened(F.configAccount(connection), at: clock.now))
        effects += open
        effects += t.config(&config, .calendlyReplied(F.requestID(open)!, .eventTypes(F.mixedAccount), at: clock.now))

        let persisted = GoldenJSON.encode(connection)
        t.call("encode the persisted Connection state", outputs: [persisted], "bytes=\(persisted.utf8.count)")

        // The connection identity: exactly these fields, the token only as a reference.
        let account = try #require(connection.account)
        let fields = Mirror(reflecting: account).children.compactMap(\.label)
        #expect(fields == ["email", "user", "organization", "token", "expiresAt", "schedulingURL", "planInsufficient"])
        #expect(account.token == F.token)
        // No secret anywhere: not in the state, not in an effect, not in the config cache.
        let everything = persisted + GoldenJSON.encode(effects) + GoldenJSON.encode(config) + t.text
        for secret in vault.values.flatMap({ [$0.access, $0.refresh] }) { #expect(!everything.contains(secret)) }
        // The core writes no token itself (the vault stores it during the exchange) and persists no calendar contents.
        #expect(F.stores(effects).isEmpty)
        #expect(!GoldenJSON.encode(config).contains("scheduled_events"))
        t.verify()
    }

    @Test func S01_AC4_disconnectDeletesTokensAndStopsOffering() {
        var t = Transcript("a connected admin clicks Disconnect: empty not-connected state at once, booking no longer offered until reconnected; at Calendly the webhook subscription is deleted, then the grant revoked, and the tokens are deleted when the revoke is answered")
        var clock = VirtualClock()
        var connection = F.connected()
        var config = F.saved()
        t.given("connected as ops@acme.example, Intro call saved", Digest.connection(connection))
        t.resolve("before disconnect", connection: connection, config: config)

        clock.advance(.minutes(5))
        let effects = t.connection(&connection, .disconnectRequested(at: clock.now))
        #expect(F.calls(effects) == [.deleteWebhookSubscription(F.token, F.subscriptionURI)])
        #expect(F.stores(effects).isEmpty, "a revoke needs the token: nothing is deleted before it ran")
        #expect(connection.account == nil)
        #expect(connection.statusLine == Copy.connectPrompt)
        let unsubscribed = t.connection(&connection, .calendlyReplied(F.requestID(effects)!, .webhookSubscriptionDeleted, at: clock.now))
        #expect(F.calls(unsubscribed) == [.revokeToken(F.token)])
        // The revoke's reply deletes the token, then whatever else the vault holds for the agent.
        let revoked = t.connection(&connection, .calendlyReplied(F.requestID(unsubscribed)!, .revoked, at: clock.now))
        #expect(F.stores(revoked) == [.deleteToken(F.token), .deleteTokens(F.agent)])
        // The connection tells its config (the runtime routes the message); the cached list goes with the connection.
        #expect(effects.contains(.notify(.connectionLost(F.agent))))
        t.config(&config, .connectionLost)
        #expect(config.cache == nil)
        #expect(t.resolve("after disconnect", connection: connection, config: config) == .notOffered(.notConnected))

        // A trigger in a conversation now offers nothing: no message, no Calendly call.
        var conversation = BookingConversation(id: "conv-after-disconnect")
        let trigger = BookingConversation.Trigger(
            setup: BookingSetup.resolve(entitlements: .all, connection: connection, config: config, contactFields: F.contact),
            channel: .whatsapp, timeZone: F.customerZone)
        let offered = t.apply("conversation[conv-after-disconnect]", &conversation, BookingConversation.Input.triggerMet(trigger, at: clock.now),
                              BookingConversation.reduce, digest: Digest.conversation)
        #expect(F.messages(offered).isEmpty && F.calls(offered).isEmpty)
        #expect(conversation.phase == .notOffered(.notConnected))

        // Until reconnected: reconnecting restores offering.
        clock.advance(.minutes(1))
        t.connection(&connection, .connectRequested("oauth-state-2", webhookURL: F.webhookURL, at: clock.now))
        #expect(connection.replacing == nil)
        t.verify()
    }

    @Test func S01_ERR1_deniedOrFailedExchangeStoresNothing() {
        var t = Transcript("consent denied, token exchange failing, or the account lookup failing store no connection, show an inline error + Retry and log calendly_connect_failed with the reason")
        var clock = VirtualClock()

        t.section("consent denied, then Retry succeeds")
        var denied = Connection(agent: F.agent)
        t.connection(&denied, .connectRequested("oauth-state-1", webhookURL: F.webhookURL, at: clock.now))
        clock.advance(.seconds(20))
        let deny = t.connection(&denied, .authorizationDenied("oauth-state-1", error: "access_denied", at: clock.now))
        #expect(F.events(deny) == [.connectFailed(agent: F.agent, reason: "access_denied", at: clock.now)])
        #expect(F.stores(deny).isEmpty)
        #expect(denied.account == nil)
        #expect(denied.phase == .failed(reason: "access_denied"))
        #expect(denied.statusLine == Copy.consentDenied)
        clock.advance(.seconds(10))
        t.connection(&denied, .connectRequested("oauth-state-2", webhookURL: F.webhookURL, at: clock.now))
        #expect(denied.statusLine == Copy.connecting, "Retry starts a new attempt")
        let retry = t.connection(&denied, .authorizationGranted("oauth-state-2", code: "code-2", at: clock.now))
        let retryUser = t.connection(&denied, .calendlyReplied(F.requestID(retry)!, .tokenGranted(F.grant()), at: clock.now))
        t.connection(&denied, .calendlyReplied(F.requestID(retryUser)!, .user(F.calendlyUser), at: clock.now))
        #expect(denied.statusLine == Copy.connectedAs(F.adminEmail))

        t.section("token exchange fails (invalid_grant)")
        var exchangeFails = Connection(agent: F.agent)
        t.connection(&exchangeFails, .connectRequested("oauth-state-3", webhookURL: F.webhookURL, at: clock.now))
        let exchange = t.connection(&exchangeFails, .authorizationGranted("oauth-state-3", code: "code-3", at: clock.now))
        let failed = t.connection(&exchangeFails, .calendlyReplied(F.requestID(exchange)!, .failed(.invalidGrant), at: clock.now))
        #expect(F.events(failed) == [.connectFailed(agent: F.agent, reason: "invalid_grant", at: clock.now)])
        #expect(F.stores(failed).isEmpty)
        #expect(exchangeFails.account == nil)
        #expect(exchangeFails.statusLine == "Couldn't connect to Calendly, try again")

        t.section("token exchange times out after sending")
        var exchangeLost = Connection(agent: F.agent)
        t.connection(&exchangeLost, .connectRequested("oauth-state-4", webhookURL: F.webhookURL, at: clock.now))
        let lostExchange = t.connection(&exchangeLost, .authorizationGranted("oauth-state-4", code: "code-4", at: clock.now))
        let lost = t.connection(&exchangeLost, .calendlyReplied(F.requestID(lostExchange)!, .outcomeUnknown, at: clock.now))
        #expect(F.events(lost) == [.connectFailed(agent: F.agent, reason: "timeout", at: clock.now)])
        #expect(exchangeLost.account == nil)

        t.section("exchange succeeds but the account lookup fails: the granted token is deleted and revoked")
        var userFails = Connection(agent: F.agent)
        t.connection(&userFails, .connectRequested("oauth-state-5", webhookURL: F.webhookURL, at: clock.now))
        let exchange5 = t.connection(&userFails, .authorizationGranted("oauth-state-5", code: "code-5", at: clock.now))
        let user5 = t.connection(&userFails, .calendlyReplied(F.requestID(exchange5)!, .tokenGranted(F.grant(token: "tokref-agent-1-b")), at: clock.now))
        let failed5 = t.connection(&userFails, .calendlyReplied(F.requestID(user5)!, .failed(.serverError(status: 502)), at: clock.now))
        #expect(F.events(failed5) == [.connectFailed(agent: F.agent, reason: "server_error_502", at: clock.now)])
        #expect(F.stores(failed5).isEmpty, "revoked first: the revoke needs the token")
        #expect(F.calls(failed5) == [.revokeToken("tokref-agent-1-b")])
        #expect(userFails.account == nil)
        let revoked5 = t.connection(&userFails, .calendlyReplied(F.requestID(failed5)!, .revoked, at: clock.now))
        #expect(F.stores(revoked5) == [.deleteToken("tokref-agent-1-b")])

        t.section("consent returned after the 10-minute code lifetime")
        var expired = Connection(agent: F.agent)
        t.connection(&expired, .connectRequested("oauth-state-6", webhookURL: F.webhookURL, at: clock.now))
        clock.advance(.minutes(11))
        let late = t.connection(&expired, .authorizationGranted("oauth-state-6", code: "code-6", at: clock.now))
        #expect(F.calls(late).isEmpty)
        #expect(F.events(late) == [.connectFailed(agent: F.agent, reason: "expired", at: clock.now)])

        t.section("a callback with an unknown OAuth state is refused without touching state")
        let before = expired
        let forged = t.connection(&expired, .authorizationGranted("forged-state", code: "code-x", at: clock.now))
        #expect(F.rejections(forged).map(\.code) == ["unknown_oauth_state"])
        #expect(expired == before)
        t.verify()
    }

    @Test func S01_ERR2_insufficientPlanExplained() {
        var t = Transcript("a Calendly plan/scope that cannot book: the message explains the required plan and the event-type list shows the eligibility empty state")
        let clock = VirtualClock()

        t.section("granted scopes lack scheduled_events:write (free plan)")
        var connection = Connection(agent: F.agent)
        t.connection(&connection, .connectRequested("oauth-state-1", webhookURL: F.webhookURL, at: clock.now))
        let exchange = t.connection(&connection, .authorizationGranted("oauth-state-1", code: "code-1", at: clock.now))
        let limited = F.grant(scopes: ["users:read", "event_types:read", "availability:read"])
        let user = t.connection(&connection, .calendlyReplied(F.requestID(exchange)!, .tokenGranted(limited), at: clock.now))
        t.connection(&connection, .calendlyReplied(F.requestID(user)!, .user(F.calendlyUser), at: clock.now))
        #expect(connection.account?.planInsufficient == true)
        var config = ActionConfig(agent: F.agent)
        let open = t.config(&config, .opened(F.configAccount(connection), at: clock.now))
        #expect(open.isEmpty, "nothing to fetch: the plan cannot book")
        #expect(config.status == .planInsufficient)
        #expect(config.statusLine == Copy.planInsufficient)
        #expect(config.statusLine?.contains("paid Calendly plan") == true)
        #expect(config.page().items.isEmpty)
        #expect(t.resolve("plan insufficient", connection: connection, config: F.saved()) == .notOffered(.planInsufficient))

        t.section("scopes fine, but Calendly answers 403 for the event types")
        var config2 = ActionConfig(agent: F.agent)
        let open2 = t.config(&config2, .opened(F.configAccount(F.connected()), at: clock.now))
        let forbidden = t.config(&config2, .calendlyReplied(F.requestID(open2)!, .failed(.forbidden(requiredScopes: ["event_types:read"])), at: clock.now))
        #expect(config2.status == .planInsufficient)
        #expect(config2.statusLine == Copy.planInsufficient)
        #expect(F.events(forbidden) == [.eventTypesFetchFailed(agent: F.agent, reason: "forbidden", cacheUsed: false, at: clock.now)])
        t.verify()
    }

    @Test func S01_reconnectKeepsOldAccountUntilConfirmed() {
        var t = Transcript("QA boundary (re-connect overwriting existing): the old account keeps working during a reconnect, a failed reconnect falls back to it, a successful one replaces and revokes it")
        var clock = VirtualClock()
        var connection = F.connected()
        t.given("connected with tokref-agent-1-a", Digest.connection(connection))

        t.section("reconnect fails: back to the old account with the error banner")
        t.connection(&connection, .connectRequested("oauth-state-r1", webhookURL: F.webhookURL, at: clock.now))
        #expect(connection.account?.token == F.token, "booking keeps the old account while reconnecting")
        clock.advance(.seconds(30))
        let denied = t.connection(&connection, .authorizationDenied("oauth-state-r1", error: "access_denied", at: clock.now))
        #expect(F.stores(denied).isEmpty)
        #expect(connection.account?.token == F.token)
        #expect(connection.statusLine == Copy.connectedAs(F.adminEmail) + " · " + Copy.consentDenied)

        t.section("reconnect succeeds with a new token: the old one is deleted and revoked")
        t.connection(&connection, .connectRequested("oauth-state-r2", webhookURL: F.webhookURL, at: clock.now))
        let exchange = t.connection(&connection, .authorizationGranted("oauth-state-r2", code: "code-r2", at: clock.now))
        let user = t.connection(&connection, .calendlyReplied(F.requestID(exchange)!, .tokenGranted(F.grant(token: "tokref-agent-1-b")), at: clock.now))
        let done = t.connection(&connection, .calendlyReplied(F.requestID(user)!, .user(F.calendlyUser), at: clock.now))
        #expect(connection.account?.token == "tokref-agent-1-b")
        #expect(F.stores(done).isEmpty, "revoked first: the revoke needs the token")
        #expect(F.calls(done) == [.revokeToken(F.token), .createWebhookSubscription("tokref-agent-1-b", organization: F.organization, url: F.webhookURL,
                                                                                     events: WebhookSubscriptionCare.events)])
        #expect(connection.replacing == nil)
        let revokedOld = t.connection(&connection, .calendlyReplied(F.requestID(done)!, .revoked, at: clock.now))
        #expect(F.stores(revokedOld) == [.deleteToken(F.token)], "the old token only: the new one is in use")
        t.verify()
    }

    @Test func S01_disconnectWhileExchangingLeavesNoToken() {
        var t = Transcript("S01 concurrency (two admins): a disconnect while the code exchange is in flight must not leave the late-granted token in the vault")
        let clock = VirtualClock()
        var connection = Connection(agent: F.agent)
        t.connection(&connection, .connectRequested("oauth-state-1", webhookURL: F.webhookURL, at: clock.now))
        let exchange = t.connection(&connection, .authorizationGranted("oauth-state-1", code: "code-1", at: clock.now))
        let disconnect = t.connection(&connection, .disconnectRequested(at: clock.now))
        #expect(F.stores(disconnect) == [.deleteTokens(F.agent)])
        // The exchange's reply lands after the disconnect: the vault now holds a token nobody references.
        let late = t.connection(&connection, .calendlyReplied(F.requestID(exchange)!, .tokenGranted(F.grant(token: "tokref-agent-1-late")), at: clock.now))
        #expect(connection.account == nil)
        #expect(F.stores(late).isEmpty)
        #expect(F.calls(late) == [.revokeToken("tokref-agent-1-late")])
        let revokedLate = t.connection(&connection, .calendlyReplied(F.requestID(late)!, .failed(.serverError(status: 503)), at: clock.now))
        #expect(F.stores(revokedLate) == [.deleteToken("tokref-agent-1-late")], "deleted even when the revoke failed")

        t.section("a refresh reply landing during a reconnect keeps the token the old account still uses")
        var reconnecting = F.connected()
        let refresh = t.connection(&reconnecting, .refreshDue(at: clock.now))
        t.connection(&reconnecting, .connectRequested("oauth-state-2", webhookURL: F.webhookURL, at: clock.now))
        let refreshed = t.connection(&reconnecting, .calendlyReplied(F.requestID(refresh)!, .tokenGranted(F.grant()), at: clock.now))
        #expect(F.stores(refreshed).isEmpty && F.calls(refreshed).isEmpty)
        #expect(reconnecting.account?.token == F.token)
        t.verify()
    }

    @Test func S01_refreshRejectedDisconnects() {
        var t = Transcript("PRD §6.7: a permanently failing token refresh deletes the token, shows Disconnected and stops booking; a transient failure keeps the account")
        var clock = VirtualClock()
        var connection = F.connected()
        t.given("connected", Digest.connection(connection))
        clock.advance(.hours(2))
        let transient = t.connection(&connection, .refreshDue(at: clock.now))
        let kept = t.connection(&connection, .calendlyReplied(F.requestID(transient)!, .failed(.serverError(status: 503)), at: clock.now))
        #expect(F.stores(kept).isEmpty)
        #expect(connection.account != nil)
        clock.advance(.minutes(1))
        let again = t.connection(&connection, .refreshDue(at: clock.now))
        let rejected = t.connection(&connection, .calendlyReplied(F.requestID(again)!, .failed(.invalidGrant), at: clock.now))
        #expect(F.stores(rejected) == [.deleteToken(F.token)])
        #expect(connection.phase == .disconnected(reason: "refresh_rejected"))
        #expect(connection.statusLine == Copy.grantRejected)
        #expect(t.resolve("after permanent refresh failure", connection: connection, config: F.saved()) == .notOffered(.notConnected))
        t.verify()
    }
}
