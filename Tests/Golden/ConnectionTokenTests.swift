@testable import Core
import Effects
import Foundation
import Testing

/// Issue 11 defect 2: the token lifecycle is `Connection`'s — refresh ahead of expiry, single-flight,
/// rotation, "refused refresh → disconnected (and why)", and a 401 seen by a conversation telling the
/// connection. The interpreter only reports (see `LiveCalendlyTests`).
@Suite struct ConnectionTokenTests {
    typealias F = Fixtures

    /// `F.connected()` holds a token expiring two hours after `VirtualClock.base`.
    static let expiry = VirtualClock.base + .hours(2)

    @Test func S01_tokenRefreshedAheadOfExpiryOnce() {
        var t = Transcript("the periodic token check refreshes only within 10 minutes of expiry, once (single-flight), and the rotated grant moves the expiry")
        var clock = VirtualClock()
        var connection = F.connected()
        t.given("connected, token expires 2 h after connecting", Digest.connection(connection))

        clock.set(Self.expiry - Connection.refreshAhead)
        #expect(!connection.tokenCheckDue(at: clock.now), "exactly refreshAhead left: not yet")
        #expect(t.connection(&connection, .tokenCheck(at: clock.now)).isEmpty)

        clock.advance(.seconds(1))
        #expect(connection.tokenCheckDue(at: clock.now))
        let refresh = t.connection(&connection, .tokenCheck(at: clock.now))
        #expect(F.calls(refresh) == [.refreshToken(F.token)])
        #expect(connection.statusLine == Copy.connectedAs(F.adminEmail), "a refresh in flight still shows connected")

        t.section("single-flight: neither the next check nor a 401 asks again while the refresh is out")
        clock.advance(.minutes(1))
        #expect(!connection.tokenCheckDue(at: clock.now))
        #expect(t.connection(&connection, .tokenCheck(at: clock.now)).isEmpty)
        #expect(t.connection(&connection, .refreshDue(at: clock.now)).isEmpty)

        t.section("the rotated grant (same vault reference) moves the expiry; nothing is due after it")
        let rotated = TokenGrant(token: F.token, owner: F.user, organization: F.organization, scopes: Connection.requiredScopes,
                                 expiresAt: clock.now + .hours(2))
        let granted = t.connection(&connection, .calendlyReplied(F.requestID(refresh)!, .tokenGranted(rotated), at: clock.now))
        #expect(granted.isEmpty, "nothing to store: the interpreter saved the rotated pair before reporting it")
        #expect(connection.account?.expiresAt == clock.now + .hours(2) && connection.account?.token == F.token)
        #expect(connection.refreshStartedAt == nil)
        #expect(!connection.tokenCheckDue(at: clock.now + .minutes(1)))
        t.verify()
    }

    @Test func S01_lostRefreshReplyIsAskedAgain() {
        var t = Transcript("a refresh whose reply never came (the process stopped while it was out) is asked again after the reply timeout; the late reply changes nothing")
        var clock = VirtualClock(Self.expiry - .minutes(5))
        var connection = F.connected()
        let first = t.connection(&connection, .tokenCheck(at: clock.now))
        clock.advance(Span(milliseconds: Connection.refreshReplyTimeout.milliseconds - 1))
        #expect(t.connection(&connection, .tokenCheck(at: clock.now)).isEmpty, "still within the reply timeout")
        clock.advance(.milliseconds(1))
        let second = t.connection(&connection, .tokenCheck(at: clock.now))
        #expect(F.calls(second) == [.refreshToken(F.token)])
        #expect(F.requestID(second) != F.requestID(first))
        let late = t.connection(&connection, .calendlyReplied(F.requestID(first)!, .tokenGranted(F.grant()), at: clock.now))
        #expect(late.isEmpty, "a reply to a superseded refresh neither stores, revokes nor ends the refresh in flight")
        guard case .refreshing(_, let request) = connection.phase else { Issue.record("not refreshing: \(connection.phase)"); return }
        #expect(request == F.requestID(second))
        t.verify()
    }

    @Test func S01_unauthorizedCallRefreshesAndARefusedRefreshDisconnectsWithItsReason() {
        var t = Transcript("a 401 anywhere makes the connection refresh at once; Calendly refusing the refresh (grant revoked) disconnects with reason refresh_rejected, the config is told, booking stops")
        var clock = VirtualClock()
        var connection = F.connected()

        t.section("a conversation's call got 401: refresh now, although the token is far from expiry")
        #expect(!connection.tokenCheckDue(at: clock.now))
        let refresh = t.connection(&connection, .refreshDue(at: clock.now))
        #expect(F.calls(refresh) == [.refreshToken(F.token)])

        t.section("a transient failure keeps the account; the next 401 tries again")
        let transient = t.connection(&connection, .calendlyReplied(F.requestID(refresh)!, .outcomeUnknown, at: clock.now))
        #expect(F.stores(transient).isEmpty && F.calls(transient).isEmpty)
        #expect(connection.account != nil && connection.statusLine == Copy.connectedAs(F.adminEmail))

        t.section("the connection's own call (the subscription check) got 401: it refreshes too")
        clock.advance(.minutes(1))
        let check = t.connection(&connection, .subscriptionCheck(webhookURL: F.webhookURL, at: clock.now))
        let refused = t.connection(&connection, .calendlyReplied(F.requestID(check)!, .failed(.unauthorized), at: clock.now))
        #expect(F.calls(refused) == [.refreshToken(F.token)])

        t.section("Calendly refuses the refresh: the grant is dead")
        let rejected = t.connection(&connection, .calendlyReplied(F.requestID(refused)!, .failed(.invalidGrant), at: clock.now))
        #expect(F.stores(rejected) == [.deleteToken(F.token)])
        #expect(rejected.contains(.notify(.connectionLost(F.agent))))
        #expect(connection.phase == .disconnected(reason: Connection.refreshRejected))
        #expect(connection.statusLine == Copy.grantRejected)
        #expect(connection.webhooks.subscription == nil, "a reconnect subscribes again")
        #expect(t.resolve("after the refused refresh", connection: connection, config: F.saved()) == .notOffered(.notConnected))

        t.section("later checks and 401s do nothing until the admin reconnects")
        clock.advance(.hours(3))
        #expect(!connection.tokenCheckDue(at: clock.now))
        #expect(t.connection(&connection, .tokenCheck(at: clock.now)).isEmpty)
        #expect(t.connection(&connection, .refreshDue(at: clock.now)).isEmpty)
        t.verify()
    }

    @Test func S03_unauthorizedBookingTellsTheConnectionAndEndsInTheApology() {
        var w = BookingWorld(Transcript("a booking or availability call refused with 401 ends in the apology + static link, and the agent's connection is told (grantRejected) so it refreshes or disconnects"))
        let cases: [(ConversationID, Bool)] = [("conv-availability-401", false), ("conv-booking-401", true)]
        for (id, booking) in cases {
            w.transcript.section(booking ? "the booking call got 401" : "the availability call got 401")
            if booking {
                S03BookingTests.offer(&w, id, channel: .whatsapp)
                w.tap(id, "o1s1")
            } else {
                w.trigger(id, F.setup(), channel: .whatsapp)
            }
            w.clock.advance(.seconds(2))
            let failed = w.calendly(id, .failed(.unauthorized))
            #expect(F.texts(failed) == [Copy.apology(link: F.fallbackLink)])
            #expect(failed.contains(.notify(.grantRejected(F.agent, at: w.now))))
            #expect(w.conversation(id).phase == .staticLink(reason: "unauthorized"))
        }
        w.transcript.section("any other failure says nothing to the connection")
        w.trigger("conv-503", F.setup(), channel: .whatsapp)
        let other = w.calendly("conv-503", .failed(.serverError(status: 503)))
        #expect(!other.contains { if case .notify(.grantRejected) = $0 { true } else { false } })
        w.transcript.verify()
    }

    @Test func S02_unauthorizedAdminCallTellsTheConnection() {
        var t = Transcript("an admin call (listing event types) refused with 401 fails as before and tells the agent's connection (grantRejected)")
        let clock = VirtualClock()
        var config = ActionConfig(agent: F.agent)
        let list = t.config(&config, .opened(F.configAccount(F.connected()), at: clock.now))
        let refused = t.config(&config, .calendlyReplied(F.requestID(list)!, .failed(.unauthorized), at: clock.now))
        #expect(refused.contains(.notify(.grantRejected(F.agent, at: clock.now))))
        #expect(config.status != .loaded)
        let stale = t.config(&config, .calendlyReplied("agent-1/config/99", .failed(.unauthorized), at: clock.now))
        #expect(stale.isEmpty, "a reply to nothing this config waits on says nothing")
        t.verify()
    }
}
