import Core
import Crypto
import Effects
import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Synchronization
import Testing
@testable import Host
@testable import Interpreters

struct NoMessages: MessageSink { func deliver(_ message: ChannelMessage) async {} }

final class RecordedTelemetry: TelemetrySink, Sendable {
    private let events = Mutex<[TelemetryEvent]>([])
    func observe(_ event: TelemetryEvent) async { events.withLock { $0.append(event) } }
    var names: [String] { events.withLock { $0.map(\.name) } }
}

/// The connection's whole life through the live pieces: `LiveRuntime` + `SQLiteStore` + the sealed
/// token keeper + `LiveCalendly` against the emulator over loopback.
@Suite(.serialized) struct ConnectionLifecycleTests {
    static let agent: AgentID = "acme:agent-1"
    static let webhookURL = "http://127.0.0.1:9/v1/webhooks/calendly"

    struct Live {
        let emulator: LiveHarness
        let store: SQLiteStore
        let keeper: SQLiteTokenKeeper
        let calendly: LiveCalendly
        let telemetry = RecordedTelemetry()
        let runtime: LiveRuntime<SQLiteStore>

        init(_ emulator: LiveHarness) throws {
            self.emulator = emulator
            store = try SQLiteStore(path: ":memory:")
            keeper = SQLiteTokenKeeper(store: store, vault: try TokenVault(key: SymmetricKey(size: .bits256)))
            let configuration = LiveCalendly.Configuration(clientID: EmulatorModel.clientID, clientSecret: EmulatorModel.clientSecret,
                                                           redirectURI: emulator.baseURL + LiveHarness.redirectPath,
                                                           apiBase: emulator.baseURL, authBase: emulator.baseURL)
            calendly = LiveCalendly(configuration: configuration, tokens: keeper, verifiers: keeper)
            runtime = LiveRuntime(store: store, calendly: calendly, sink: NoMessages(), telemetry: telemetry, now: LiveCalendly.wallClock)
        }

        /// Connect Calendly → consent (auto-approved by the emulator) → callback: the real OAuth round trip.
        func connect(state: String, agent: AgentID = ConnectionLifecycleTests.agent) async throws -> Connection {
            let verifier = CalendlyPKCE.makeVerifier()
            try await keeper.saveVerifier(state: state, verifier: verifier, at: LiveCalendly.wallClock())
            _ = try await runtime.connection(agent, .connectRequested(OAuthState(state), webhookURL: ConnectionLifecycleTests.webhookURL,
                                                                                           at: LiveCalendly.wallClock()))
            let query = try await LiveCalendlyOAuthTests().authorize(emulator, state: state, challenge: CalendlyPKCE.challenge(for: verifier))
            let code = try #require(query["code"])
            let (connection, _) = try await runtime.connection(agent,
                                                               .authorizationGranted(OAuthState(state), code: code, at: LiveCalendly.wallClock()))
            return connection
        }
    }

    @Test func disconnectRevokesAtCalendlyThenForgetsTheTokens() async throws {
        try await LiveHarness.run { harness in
            let live = try Live(harness)
            let connected = try await live.connect(state: "state-d1")
            let token = try #require(connected.account?.token)
            let held = try #require(try await live.keeper.load(token))
            #expect(try live.store.transaction { try $0.count(.tokens) } == 1)
            // The tokens belong to the agent (as the exchange saves them), so a vault sweep by agent finds them.
            try await live.keeper.save(held, as: token, agent: Self.agent)

            // Connected: subscribed at Calendly, and the event types cached.
            #expect(await harness.model.subscriptionStates.map(\.url) == [Self.webhookURL])
            let account = ActionConfig.Account(token: token, user: try #require(connected.account?.user))
            let (config, _) = try await live.runtime.config(Self.agent, .opened(account, at: LiveCalendly.wallClock()))
            #expect(config.cache != nil)

            let (after, _) = try await live.runtime.connection(Self.agent, .disconnectRequested(at: LiveCalendly.wallClock()))
            #expect(after.account == nil)
            #expect(after.revoking.isEmpty && after.teardown == nil)
            // The subscription went first…
            #expect(await harness.model.subscriptionStates.isEmpty)
            // …the connection told the config (a reducer message, journaled like any step), so the cache is gone…
            #expect(try live.runtime.agentState(Self.agent).1.cache == nil)
            let records = try live.store.transaction { tx in try tx.journal(stream: "agent:\(Self.agent)") }
                .map { try JournalFormat.record(line: $0.payload) }
            let steps = try Replayer.replay(records)
            #expect(steps.allSatisfy { $0.matches }, "replay reproduces every recorded step")
            #expect(steps.contains { $0.aggregate == .config && $0.input == .config(.connectionLost) })
            // Calendly revoked the grant: a copy of the old tokens no longer works there.
            try await live.keeper.save(held, as: "copy-of-revoked")
            #expect(await live.calendly.perform(.currentUser("copy-of-revoked")) == .failed(.unauthorized))
            try await live.keeper.delete("copy-of-revoked")
            // …and nothing of the connection is kept.
            #expect(try live.store.transaction { try $0.count(.tokens) } == 0)
        }
    }

    /// Calendly keeps one subscription per organization and URL: two agents of one organization share it, so
    /// the first to disconnect leaves it for the other, and the last one takes it away.
    @Test func aSharedSubscriptionStaysUntilTheLastAgentOfTheOrganizationDisconnects() async throws {
        try await LiveHarness.run { harness in
            let live = try Live(harness)
            let other: AgentID = "globex:agent-9"
            _ = try await live.connect(state: "state-s1")
            _ = try await live.connect(state: "state-s2", agent: other)
            #expect(await harness.model.subscriptionStates.map(\.url) == [Self.webhookURL], "the second connect found it (409) and kept it")
            let first = try await live.runtime.disconnect(Self.agent)
            #expect(first.account == nil && first.revoking.isEmpty)
            #expect(await harness.model.subscriptionStates.map(\.url) == [Self.webhookURL], "still there for the other agent")
            let last = try await live.runtime.disconnect(other)
            #expect(last.account == nil)
            #expect(await harness.model.subscriptionStates.isEmpty, "the last agent of the organization took it away")
        }
    }

    @Test func exchangedTokensBelongToTheirAgent() async throws {
        try await LiveHarness.run { harness in
            let live = try Live(harness)
            let connected = try await live.connect(state: "state-d2")
            let token = try #require(connected.account?.token)
            #expect(try live.store.transaction { try $0.sealedToken(token, lock: false) }?.agent == Self.agent)
            try await live.keeper.deleteAll(agent: Self.agent)
            #expect(try await live.keeper.load(token) == nil)
        }
    }

    @Test func aDisabledSubscriptionIsRecreatedByTheCheck() async throws {
        try await LiveHarness.run { harness in
            let live = try Live(harness)
            await harness.model.setFailedDeliveriesBeforeDisable(1)
            let connected = try await live.connect(state: "state-d3")
            let token = try #require(connected.account?.token)
            #expect(await harness.model.subscriptionStates.map(\.state) == ["active"])
            // A booking makes Calendly deliver invitee.created to our URL, where nobody listens: the delivery
            // fails (after its retries) and the emulator disables the subscription as Calendly does after 24 h.
            let from = LiveCalendly.wallClock() + .minutes(5)
            let times = await live.calendly.perform(.availableTimes(token, eventType: harness.eventType("ET-INTRO"), from: from, to: from + .days(3)))
            guard case .availableTimes(let slots) = times, let start = slots.first?.start else { Issue.record("no slots: \(times)"); return }
            let booked = await live.calendly.perform(.createInvitee(token, key: "k-d3", harness.booking("casey@example.com", at: start)))
            guard case .inviteeCreated = booked else { Issue.record("not booked: \(booked)"); return }
            var states = await harness.model.subscriptionStates.map(\.state)
            for _ in 0..<200 where states != ["disabled"] {
                try await Task.sleep(for: .milliseconds(50))
                states = await harness.model.subscriptionStates.map(\.state)
            }
            #expect(states == ["disabled"])

            let checked = try await live.runtime.checkSubscription(agent: Self.agent, webhookURL: Self.webhookURL)
            #expect(await harness.model.subscriptionStates.map(\.state) == ["active"])
            #expect(checked.webhooks.lastError == nil)
            #expect(live.telemetry.names.contains("calendly_webhook_subscription_recreated"))
            // The next check finds it active and changes nothing.
            let again = try await live.runtime.checkSubscription(agent: Self.agent, webhookURL: Self.webhookURL)
            #expect(again.webhooks.subscription == checked.webhooks.subscription)
            #expect(live.telemetry.names.filter { $0 == "calendly_webhook_subscription_recreated" }.count == 1)
            // `checkSubscriptions` visits every connected agent.
            try await live.runtime.checkSubscriptions(webhookURL: Self.webhookURL)
            #expect(await harness.model.subscriptionStates.map(\.state) == ["active"])
        }
    }

    // MARK: - The token lifecycle (issue 11 defect 2)

    /// The periodic check refreshes a token within `Connection.refreshAhead` of its expiry — the reducer
    /// decides, `LiveCalendly` performs the grant and rotates the vault — and a quiet check journals nothing.
    @Test func theTokenCheckRefreshesAheadOfExpiryAndIsQuietOtherwise() async throws {
        try await LiveHarness.run { harness in
            let live = try Live(harness)
            await harness.model.setTokenLifetime(.minutes(5))
            let connected = try await live.connect(state: "state-t1")
            let account = try #require(connected.account)
            let before = try #require(try await live.keeper.load(account.token))
            await harness.model.setTokenLifetime(.hours(2))

            try await live.runtime.checkTokens()
            let (after, _) = try live.runtime.agentState(Self.agent)
            guard case .connected(let refreshed) = after.phase else { Issue.record("not connected: \(after.phase)"); return }
            #expect(refreshed.token == account.token, "rotated under the same vault reference")
            #expect(refreshed.expiresAt - account.expiresAt > .hours(1))
            let rotated = try #require(try await live.keeper.load(account.token))
            #expect(rotated.accessToken != before.accessToken && rotated.refreshToken != before.refreshToken)
            #expect(rotated.expiresAt == refreshed.expiresAt)

            let rows = try live.store.transaction { tx in try tx.journal(stream: "agent:\(Self.agent)") }.count
            try await live.runtime.checkTokens()
            #expect(try live.store.transaction { tx in try tx.journal(stream: "agent:\(Self.agent)") }.count == rows, "nothing due: no step")
            #expect(try live.runtime.agentState(Self.agent).0 == after)
        }
    }

    /// The grant is revoked at Calendly: a conversation's call gets 401 and ends in the apology; its
    /// notice makes the connection refresh, Calendly refuses, and the agent shows disconnected
    /// (`refresh_rejected`) with its config told — all through `LiveRuntime`'s follow-up routing.
    @Test func aConversationsUnauthorizedCallDisconnectsARevokedGrant() async throws {
        try await LiveHarness.run { harness in
            let live = try Live(harness)
            let connected = try await live.connect(state: "state-t2")
            let account = try #require(connected.account)
            guard case .eventType(let eventType) = await live.calendly.perform(.getEventType(account.token, harness.eventType("ET-INTRO"))) else {
                Issue.record("no event type"); return
            }
            // The admin opened the config: the event types are cached, so losing the connection changes it
            // (the engine writes no row for a step that changes nothing).
            _ = try await live.runtime.config(Self.agent, .opened(ActionConfig.Account(token: account.token, user: account.user), at: LiveCalendly.wallClock()))
            await harness.model.revokeGrants()

            let setup = BookingSetup(agent: Self.agent, eventType: eventType, token: account.token, confirmationMessage: "Booked", knownEmail: "ana@example.com")
            let trigger = BookingConversation.Trigger(setup: .ready(setup), channel: .text, timeZone: "UTC")
            let result = try await live.runtime.conversation("acme:chat-401", .triggerMet(trigger, at: LiveCalendly.wallClock()))
            #expect(result.messages.map(\.content).last == .text(Copy.apology(link: FallbackLink.attributed(setup.staticLink, reference: nil))))
            #expect(try live.runtime.conversationState("acme:chat-401")?.phase == .staticLink(reason: "unauthorized"))

            var connection = try live.runtime.agentState(Self.agent).0
            for _ in 0..<200 where connection.account != nil {
                try await Task.sleep(for: .milliseconds(25))
                connection = try live.runtime.agentState(Self.agent).0
            }
            #expect(connection.phase == .disconnected(reason: Connection.refreshRejected))
            #expect(try await live.keeper.load(account.token) == nil, "the dead grant's tokens are gone from the vault")
            let records = try live.store.transaction { tx in try tx.journal(stream: "agent:\(Self.agent)") }.map { try JournalFormat.record(line: $0.payload) }
            let steps = try Replayer.replay(records)
            #expect(steps.allSatisfy { $0.matches })
            #expect(steps.contains { $0.aggregate == .config && $0.input == .config(.connectionLost) }, "the config was told")
            // Nothing is refreshed any more: the check finds no connected agent.
            try await live.runtime.checkTokens()
            #expect(try live.runtime.agentState(Self.agent).0 == connection)
        }
    }

    /// The same through an admin call: opening the event types after the grant was revoked gets 401, and
    /// the connection finds the grant dead.
    @Test func anAdminCallsUnauthorizedReplyDisconnectsARevokedGrant() async throws {
        try await LiveHarness.run { harness in
            let live = try Live(harness)
            let connected = try await live.connect(state: "state-t3")
            let account = try #require(connected.account)
            await harness.model.revokeGrants()
            let (config, _) = try await live.runtime.config(Self.agent, .opened(ActionConfig.Account(token: account.token, user: account.user),
                                                                               at: LiveCalendly.wallClock()))
            #expect(config.cache == nil)
            var connection = try live.runtime.agentState(Self.agent).0
            for _ in 0..<200 where connection.account != nil {
                try await Task.sleep(for: .milliseconds(25))
                connection = try live.runtime.agentState(Self.agent).0
            }
            #expect(connection.phase == .disconnected(reason: Connection.refreshRejected))
        }
    }
}
