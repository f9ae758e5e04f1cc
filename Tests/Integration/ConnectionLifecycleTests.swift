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
        func connect(state: String) async throws -> Connection {
            let verifier = CalendlyPKCE.makeVerifier()
            try await keeper.saveVerifier(state: state, verifier: verifier, at: LiveCalendly.wallClock())
            _ = try await runtime.connection(ConnectionLifecycleTests.agent, .connectRequested(OAuthState(state), webhookURL: ConnectionLifecycleTests.webhookURL,
                                                                                           at: LiveCalendly.wallClock()))
            let query = try await LiveCalendlyOAuthTests().authorize(emulator, state: state, challenge: CalendlyPKCE.challenge(for: verifier))
            let code = try #require(query["code"])
            let (connection, _) = try await runtime.connection(ConnectionLifecycleTests.agent,
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

            let (after, _) = try await live.runtime.connection(Self.agent, .disconnectRequested(at: LiveCalendly.wallClock()))
            #expect(after.account == nil)
            // Calendly revoked the grant: a copy of the old tokens no longer works there.
            try await live.keeper.save(held, as: "copy-of-revoked")
            #expect(await live.calendly.perform(.currentUser("copy-of-revoked")) == .failed(.unauthorized))
            try await live.keeper.delete("copy-of-revoked")
            // …and nothing of the connection is kept.
            #expect(try live.store.transaction { try $0.count(.tokens) } == 0)
        }
    }

    @Test func exchangedTokensBelongToTheirAgent() async throws {
        try await LiveHarness.run { harness in
            let live = try Live(harness)
            let connected = try await live.connect(state: "state-d2")
            let token = try #require(connected.account?.token)
            #expect(try live.store.transaction { try $0.sealedToken(token) }?.agent == Self.agent)
            try await live.keeper.deleteAll(agent: Self.agent)
            #expect(try await live.keeper.load(token) == nil)
        }
    }
}
