@testable import Core
import Effects
import Foundation
import Testing

/// Issue 6 item 1 — webhook subscription care, decided by the connection reducer.
@Suite struct WebhookSubscriptionCareTests {
    typealias F = Fixtures

    static func subscription(_ id: String, url: String = Fixtures.webhookURL, active: Bool = true,
                             events: [String] = WebhookSubscriptionCare.events) -> WebhookSubscription {
        WebhookSubscription(uri: CalendlyURI("https://api.calendly.com/webhook_subscriptions/\(id)"), callbackURL: url, active: active,
                            events: events, scope: "organization")
    }

    static let create = CalendlyCall.createWebhookSubscription(Fixtures.token, organization: Fixtures.organization, url: Fixtures.webhookURL,
                                                               events: ["invitee.created", "invitee.canceled"])
    static let list = CalendlyCall.listWebhookSubscriptions(Fixtures.token, organization: Fixtures.organization)

    /// Connect → consent → exchange → user; returns the effects of the last step.
    static func connect(_ t: inout Transcript, _ connection: inout Connection, _ clock: VirtualClock) -> [Effect] {
        t.connection(&connection, .connectRequested("oauth-state-1", webhookURL: F.webhookURL, at: clock.now))
        let exchange = t.connection(&connection, .authorizationGranted("oauth-state-1", code: "code-1", at: clock.now))
        let user = t.connection(&connection, .calendlyReplied(F.requestID(exchange)!, .tokenGranted(F.grant()), at: clock.now))
        return t.connection(&connection, .calendlyReplied(F.requestID(user)!, .user(F.calendlyUser), at: clock.now))
    }

    @Test func subscriptionCreatedOnConnect() {
        var t = Transcript("a successful connect creates the organization-scoped subscription for invitee.created + invitee.canceled at <PUBLIC_BASE_URL>/v1/webhooks/calendly; 409 “already exists” counts as success (the existing one is looked up)")
        var clock = VirtualClock()

        t.section("201: created")
        var connection = Connection(agent: F.agent)
        let connected = Self.connect(&t, &connection, clock)
        #expect(F.calls(connected) == [Self.create])
        let created = t.connection(&connection, .calendlyReplied(F.requestID(connected)!, .webhookSubscription(Self.subscription("WH1")), at: clock.now))
        #expect(created.isEmpty, "a first subscription is no news for operators")
        #expect(connection.webhooks.subscription == "https://api.calendly.com/webhook_subscriptions/WH1")
        #expect(connection.webhooks.step == .idle)

        t.section("409: another agent of the organization subscribed the same URL already")
        clock.advance(.minutes(1))
        var second = Connection(agent: F.agent)
        let connected2 = Self.connect(&t, &second, clock)
        let conflict = t.connection(&second, .calendlyReplied(F.requestID(connected2)!, .failed(.alreadyExists), at: clock.now))
        #expect(F.calls(conflict) == [Self.list])
        #expect(F.events(conflict).isEmpty)
        let others = [Self.subscription("WH0", url: "https://elsewhere.example/hook"), Self.subscription("WH1")]
        let found = t.connection(&second, .calendlyReplied(F.requestID(conflict)!, .webhookSubscriptions(others), at: clock.now))
        #expect(found.isEmpty)
        #expect(second.webhooks.subscription == "https://api.calendly.com/webhook_subscriptions/WH1")
        #expect(second.account != nil, "a subscription problem never blocks the connection")

        t.section("403 (the user is not an organization admin): the user's own events are subscribed instead")
        var third = Connection(agent: F.agent)
        let connected3 = Self.connect(&t, &third, clock)
        let refused = t.connection(&third, .calendlyReplied(F.requestID(connected3)!, .failed(.forbidden(requiredScopes: [])), at: clock.now))
        let userScoped = CalendlyCall.createWebhookSubscription(F.token, organization: F.organization, url: F.webhookURL,
                                                                events: WebhookSubscriptionCare.events, user: F.calendlyUser.uri)
        #expect(F.calls(refused) == [userScoped])
        #expect(third.webhooks.user == F.calendlyUser.uri && third.webhooks.lastError == nil)
        let mine = t.connection(&third, .calendlyReplied(F.requestID(refused)!, .webhookSubscription(Self.subscription("WH7")), at: clock.now))
        #expect(mine.isEmpty && third.webhooks.subscription == "https://api.calendly.com/webhook_subscriptions/WH7")
        // Its checks list the user's subscriptions, not the organization's.
        let check = t.connection(&third, .subscriptionCheck(webhookURL: F.webhookURL, at: clock.now))
        #expect(F.calls(check) == [.listWebhookSubscriptions(F.token, organization: F.organization, user: F.calendlyUser.uri)])

        t.section("403 for the user's own subscription too: connected anyway, logged, the check retries")
        var fourth = Connection(agent: F.agent)
        let connected4 = Self.connect(&t, &fourth, clock)
        let refusedOrg = t.connection(&fourth, .calendlyReplied(F.requestID(connected4)!, .failed(.forbidden(requiredScopes: [])), at: clock.now))
        let refusedUser = t.connection(&fourth, .calendlyReplied(F.requestID(refusedOrg)!, .failed(.forbidden(requiredScopes: [])), at: clock.now))
        #expect(F.calls(refusedUser).isEmpty)
        #expect(fourth.webhooks.lastError == "forbidden")
        #expect(fourth.account != nil)
        t.verify()
    }

    @Test func disconnectDeletesTheSubscriptionThenRevokesThenForgetsTokens() {
        var t = Transcript("disconnect: booking stops at once; at Calendly the subscription is deleted first, then the grant revoked; each token is deleted from the vault when its revoke is answered (success or failure), then every token of the agent")
        let clock = VirtualClock()

        t.section("everything succeeds")
        var connection = F.connected()
        t.given("connected, subscribed (WH-SETUP)", Digest.connection(connection))
        let disconnect = t.connection(&connection, .disconnectRequested(at: clock.now))
        #expect(F.calls(disconnect) == [.deleteWebhookSubscription(F.token, F.subscriptionURI)])
        #expect(F.stores(disconnect).isEmpty, "nothing deleted before the revoke ran")
        #expect(disconnect.contains(.notify(.connectionLost(F.agent))))
        #expect(connection.account == nil)
        let deleted = t.connection(&connection, .calendlyReplied(F.requestID(disconnect)!, .webhookSubscriptionDeleted, at: clock.now))
        #expect(F.calls(deleted) == [.revokeToken(F.token)])
        #expect(F.stores(deleted).isEmpty)
        let revoked = t.connection(&connection, .calendlyReplied(F.requestID(deleted)!, .revoked, at: clock.now))
        #expect(F.stores(revoked) == [.deleteToken(F.token), .deleteTokens(F.agent)])
        #expect(connection.revoking.isEmpty && connection.teardown == nil)

        t.section("Calendly fails both calls: the revoke is still attempted and the tokens still deleted")
        var failing = F.connected()
        let disconnect2 = t.connection(&failing, .disconnectRequested(at: clock.now))
        let notDeleted = t.connection(&failing, .calendlyReplied(F.requestID(disconnect2)!, .failed(.serverError(status: 503)), at: clock.now))
        #expect(F.calls(notDeleted) == [.revokeToken(F.token)])
        let notRevoked = t.connection(&failing, .calendlyReplied(F.requestID(notDeleted)!, .outcomeUnknown, at: clock.now))
        #expect(F.stores(notRevoked) == [.deleteToken(F.token), .deleteTokens(F.agent)])

        t.section("a crash left a disconnect's revoke unanswered: the next disconnect takes it over")
        var crashed = F.connected(subscribed: false)
        let first = t.connection(&crashed, .disconnectRequested(at: clock.now))
        #expect(F.calls(first) == [.revokeToken(F.token)])
        let second = t.connection(&crashed, .disconnectRequested(at: clock.now))
        #expect(F.calls(second) == [.revokeToken(F.token)], "revoked again under a new request")
        #expect(crashed.revoking.count == 1)
        let late = t.connection(&crashed, .calendlyReplied(F.requestID(first)!, .revoked, at: clock.now))
        #expect(late.isEmpty, "the superseded request's reply changes nothing")
        let done = t.connection(&crashed, .calendlyReplied(F.requestID(second)!, .revoked, at: clock.now))
        #expect(F.stores(done) == [.deleteToken(F.token), .deleteTokens(F.agent)])

        t.section("no subscription known: straight to the revoke")
        var unsubscribed = F.connected(subscribed: false)
        let disconnect3 = t.connection(&unsubscribed, .disconnectRequested(at: clock.now))
        #expect(F.calls(disconnect3) == [.revokeToken(F.token)])
        #expect(F.stores(disconnect3).isEmpty)
        t.verify()
    }

    @Test func disconnectKeepsASubscriptionAnotherAgentOfTheOrganizationUses() {
        var t = Transcript("disconnect while another connected agent of the same Calendly organization receives webhooks through the same subscription: the grant is revoked, the subscription stays")
        let clock = VirtualClock()
        var connection = F.connected()
        t.given("connected, subscribed (WH-SETUP); another agent of the organization uses the subscription", Digest.connection(connection))
        let disconnect = t.connection(&connection, .disconnectKeepingSubscription(at: clock.now))
        #expect(F.calls(disconnect) == [.revokeToken(F.token)], "no deleteWebhookSubscription")
        #expect(disconnect.contains(.notify(.connectionLost(F.agent))))
        #expect(connection.account == nil && connection.webhooks.subscription == nil)
        let revoked = t.connection(&connection, .calendlyReplied(F.requestID(disconnect)!, .revoked, at: clock.now))
        #expect(F.stores(revoked) == [.deleteToken(F.token), .deleteTokens(F.agent)])
        t.verify()
    }

    /// The rule `LiveRuntime.disconnect` applies: another connection of the same organization, URL and
    /// scope relies on the subscription; a user-scoped one of someone else does not.
    @Test func disconnectKeepsTheSubscriptionOnlyWhileAnotherConnectionSharesIt() {
        let clock = VirtualClock()
        let mine = F.connected()
        var other = F.connected()
        other.agent = "agent-2"
        #expect(mine.disconnectInput(others: [other], at: clock.now) == .disconnectKeepingSubscription(at: clock.now))
        #expect(mine.disconnectInput(others: [], at: clock.now) == .disconnectRequested(at: clock.now))
        var userScoped = other
        userScoped.webhooks.user = "https://api.calendly.com/users/SOMEONE-ELSE"
        #expect(mine.disconnectInput(others: [userScoped], at: clock.now) == .disconnectRequested(at: clock.now))
        #expect(mine.disconnectInput(others: [mine], at: clock.now) == .disconnectRequested(at: clock.now), "itself does not count")
        #expect(Connection(agent: F.agent).disconnectInput(others: [other], at: clock.now) == .disconnectRequested(at: clock.now))
    }

    @Test func periodicCheckRecreatesAMissingOrDisabledSubscription() {
        var t = Transcript("the periodic (and start-up) check lists the subscriptions; ours missing or disabled (Calendly gives up after 24 h of failed deliveries) is re-created and calendly_webhook_subscription_recreated tells operators")
        var clock = VirtualClock()
        var connection = F.connected()

        t.section("ours is active: nothing to do")
        clock.advance(.hours(1))
        let check = t.connection(&connection, .subscriptionCheck(webhookURL: F.webhookURL, at: clock.now))
        #expect(F.calls(check) == [Self.list])
        let fine = t.connection(&connection, .calendlyReplied(F.requestID(check)!, .webhookSubscriptions([F.setupSubscription]), at: clock.now))
        #expect(fine.isEmpty)

        t.section("ours is missing: created again")
        clock.advance(.hours(1))
        let check2 = t.connection(&connection, .subscriptionCheck(webhookURL: F.webhookURL, at: clock.now))
        let missing = t.connection(&connection, .calendlyReplied(F.requestID(check2)!, .webhookSubscriptions([]), at: clock.now))
        #expect(F.calls(missing) == [Self.create])
        let recreated = t.connection(&connection, .calendlyReplied(F.requestID(missing)!, .webhookSubscription(Self.subscription("WH2")), at: clock.now))
        #expect(F.events(recreated) == [.webhookSubscriptionRecreated(agent: F.agent, reason: "missing", at: clock.now)])
        #expect(connection.webhooks.subscription == "https://api.calendly.com/webhook_subscriptions/WH2")

        t.section("ours is disabled: deleted, then created again")
        clock.advance(.hours(1))
        let check3 = t.connection(&connection, .subscriptionCheck(webhookURL: F.webhookURL, at: clock.now))
        let disabled = t.connection(&connection, .calendlyReplied(F.requestID(check3)!,
                                                                  .webhookSubscriptions([Self.subscription("WH2", active: false)]), at: clock.now))
        #expect(F.calls(disabled) == [.deleteWebhookSubscription(F.token, "https://api.calendly.com/webhook_subscriptions/WH2")])
        let removed = t.connection(&connection, .calendlyReplied(F.requestID(disabled)!, .webhookSubscriptionDeleted, at: clock.now))
        #expect(F.calls(removed) == [Self.create])
        let back = t.connection(&connection, .calendlyReplied(F.requestID(removed)!, .webhookSubscription(Self.subscription("WH3")), at: clock.now))
        #expect(F.events(back) == [.webhookSubscriptionRecreated(agent: F.agent, reason: "disabled", at: clock.now)])
        #expect(F.events(back).first?.name == "calendly_webhook_subscription_recreated")

        t.section("re-created, but Calendly answers 409 (another agent was quicker): still reported once the existing one is found")
        let check4 = t.connection(&connection, .subscriptionCheck(webhookURL: F.webhookURL, at: clock.now))
        let gone = t.connection(&connection, .calendlyReplied(F.requestID(check4)!, .webhookSubscriptions([]), at: clock.now))
        let conflict = t.connection(&connection, .calendlyReplied(F.requestID(gone)!, .failed(.alreadyExists), at: clock.now))
        #expect(F.calls(conflict) == [Self.list])
        let found = t.connection(&connection, .calendlyReplied(F.requestID(conflict)!, .webhookSubscriptions([Self.subscription("WH4")]), at: clock.now))
        #expect(F.events(found) == [.webhookSubscriptionRecreated(agent: F.agent, reason: "missing", at: clock.now)])

        t.section("the list fails: logged, the next check tries again")
        let check5 = t.connection(&connection, .subscriptionCheck(webhookURL: F.webhookURL, at: clock.now))
        let down = t.connection(&connection, .calendlyReplied(F.requestID(check5)!, .failed(.serverError(status: 503)), at: clock.now))
        #expect(F.calls(down).isEmpty && F.events(down).isEmpty)
        #expect(connection.webhooks.lastError == "server_error_503")

        t.section("not connected: a check does nothing")
        var idle = Connection(agent: F.agent)
        #expect(t.connection(&idle, .subscriptionCheck(webhookURL: F.webhookURL, at: clock.now)).isEmpty)
        t.verify()
    }

    /// Connection states stored before subscription care existed have none of its fields.
    @Test func statesStoredBeforeSubscriptionCareStillDecode() throws {
        let stored = try JSONEncoder().encode(F.connected())
        var object = try #require(try JSONSerialization.jsonObject(with: stored) as? [String: Any])
        for key in ["webhooks", "revoking", "teardown"] { object[key] = nil }
        let old = try JSONSerialization.data(withJSONObject: object)
        let decoded = try JSONDecoder().decode(Connection.self, from: old)
        #expect(decoded.phase == F.connected().phase)
        #expect(decoded.webhooks == WebhookSubscriptionCare())
        #expect(decoded.revoking.isEmpty && decoded.teardown == nil)
    }
}
