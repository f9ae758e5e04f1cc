import Core
import Crypto
import Effects
import Foundation
import Synchronization
import Testing
@testable import Host
@testable import Interpreters
@testable import PostgresStore

/// Tokens on PostgreSQL: sealed rows round-trip, and a refresh is single-flight across two hosts.
@Suite struct PostgresTokenKeeperTests {
    static let vault = try! TokenVault(key: SymmetricKey(size: .bits256))

    static func tokens(_ generation: Int) -> CalendlyTokens {
        CalendlyTokens(accessToken: "access-\(generation)", refreshToken: "refresh-\(generation)", expiresAt: SQLiteStoreTests.t0 + .hours(2),
                       owner: "https://api.calendly.com/users/U", organization: "https://api.calendly.com/organizations/O", scopes: ["default"])
    }

    @Test func tokensAndVerifiersRoundTripAsCiphertextOnly() async throws {
        guard let url = try PostgresTestDatabase.url() else { return }
        let schema = "test_" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "")
        let store = try PostgresStore(url: url, schema: schema, poolSize: 2)
        defer { _ = try? store.transaction { try $0.session.run("DROP SCHEMA \(schema) CASCADE", operation: "drop") } }
        let keeper = PostgresTokenKeeper(store: store, vault: Self.vault, now: { SQLiteStoreTests.t0 })
        try await keeper.save(Self.tokens(1), as: "token-a", agent: SQLiteStoreTests.agent)
        try await keeper.save(Self.tokens(2), as: "token-a", agent: nil)  // a refresh keeps the owner
        #expect(try await keeper.load("token-a") == Self.tokens(2))
        let row = try store.transaction { try $0.sealedToken("token-a", lock: false) }
        #expect(row?.agent == SQLiteStoreTests.agent)
        #expect(row.map { !String(decoding: $0.ciphertext, as: UTF8.self).contains("refresh-2") } == true)
        try await keeper.saveVerifier(state: "st", verifier: "v-secret", at: SQLiteStoreTests.t0)
        #expect(await keeper.verifier(forState: "st") == "v-secret")
        #expect(try await keeper.deleteVerifiers(createdBefore: SQLiteStoreTests.t0 + .minutes(1)) == 1)
        try await keeper.deleteAll(agent: SQLiteStoreTests.agent)
        #expect(try await keeper.load("token-a") == nil)
    }

    /// Two hosts each refresh the same grant 6 times, concurrently: under the lock no two refreshes
    /// overlap, and each one re-reads and rotates what the previous one saved (no generation lost or spent twice).
    @Test func aRefreshIsSingleFlightAcrossTwoHosts() async throws {
        guard let url = try PostgresTestDatabase.url() else { return }
        let schema = "test_" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "")
        let first = try PostgresStore(url: url, schema: schema, poolSize: 2)
        let second = try PostgresStore(url: url, schema: schema, poolSize: 2)
        defer { _ = try? first.transaction { try $0.session.run("DROP SCHEMA \(schema) CASCADE", operation: "drop") } }
        let keepers = [first, second].map { PostgresTokenKeeper(store: $0, vault: Self.vault, now: { SQLiteStoreTests.t0 }) }
        try await keepers[0].save(Self.tokens(0), as: "grant", agent: SQLiteStoreTests.agent)
        final class Flight: Sendable {
            let inside = Atomic<Int>(0), overlaps = Atomic<Int>(0)
            let spent = Mutex<[String]>([])
        }
        let flight = Flight()
        try await withThrowingTaskGroup(of: Void.self) { group in
            for index in 0..<12 {
                let keeper = keepers[index % 2]
                group.addTask {
                    try await keeper.withRefreshLock("grant") {
                        if flight.inside.add(1, ordering: .sequentiallyConsistent).newValue > 1 { flight.overlaps.add(1, ordering: .relaxed) }
                        defer { flight.inside.subtract(1, ordering: .sequentiallyConsistent) }
                        let current = try await keeper.load("grant")!
                        flight.spent.withLock { $0.append(current.refreshToken) }
                        try await Task.sleep(for: .milliseconds(20))  // the call to Calendly
                        let generation = Int(current.refreshToken.dropFirst("refresh-".count))! + 1
                        try await keeper.save(Self.tokens(generation), as: "grant")
                    }
                }
            }
            try await group.waitForAll()
        }
        #expect(flight.overlaps.load(ordering: .relaxed) == 0)
        #expect(flight.spent.withLock { $0 }.sorted() == (0..<12).map { "refresh-\($0)" }.sorted())
        #expect(try await keepers[1].load("grant") == Self.tokens(12))
    }

    /// The production refresh path (`LiveCalendly`'s `.refreshToken`) on two hosts at once, against the
    /// emulator, whose refresh tokens are single-use like Calendly's: under the keeper's lock the second host
    /// reads the pair the first just rotated, so both refreshes succeed and no refresh token is spent twice.
    @Test func twoHostsRefreshingOneGrantThroughLiveCalendlyBothSucceed() async throws {
        guard let url = try PostgresTestDatabase.url() else { return }
        let schema = "test_" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "")
        let first = try PostgresStore(url: url, schema: schema, poolSize: 2, host: "host-a")
        let second = try PostgresStore(url: url, schema: schema, poolSize: 2, host: "host-b")
        defer { try? first.dropSchema() }
        let emulator = try await startEmulator(seed: 7, faults: "none")
        let keepers = [first, second].map { PostgresTokenKeeper(store: $0, vault: Self.vault) }
        let pair = await emulator.model.issueTokens(scopes: EmulatorModel.knownScopes)
        try await keepers[0].save(CalendlyTokens(accessToken: pair.access, refreshToken: pair.refresh, expiresAt: LiveCalendly.wallClock() + .hours(2),
                                                 owner: CalendlyURI(emulator.baseURL + "/users/HOST"), organization: CalendlyURI(emulator.baseURL + "/organizations/ORG"),
                                                 scopes: EmulatorModel.knownScopes), as: "grant", agent: SQLiteStoreTests.agent)
        // Calendly answers slowly: without the lock both hosts would read the same refresh token before either saved.
        await emulator.model.inject(EmulatorFault(path: "/oauth/token", count: 2, delayMs: 300))
        let hosts = keepers.map { keeper in
            LiveCalendly(configuration: .init(clientID: EmulatorModel.clientID, clientSecret: EmulatorModel.clientSecret, redirectURI: emulator.baseURL + "/_emulator/state",
                                              apiBase: emulator.baseURL, authBase: emulator.baseURL), tokens: keeper, verifiers: keeper)
        }
        async let onA = hosts[0].perform(.refreshToken("grant"))
        async let onB = hosts[1].perform(.refreshToken("grant"))
        let replies = await [onA, onB]
        await emulator.shutdown()
        for reply in replies {
            guard case .tokenGranted = reply else { Issue.record("a refresh failed: \(replies)"); return }
        }
        #expect(try await keepers[1].load("grant")?.refreshToken != pair.refresh)
    }
}
