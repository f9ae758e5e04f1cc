import Core
import Effects
import Foundation
import Interpreters
import Logging
import PostgresNIO

/// `SQLiteTokenKeeper` on PostgreSQL: OAuth tokens and PKCE verifiers sealed by a `TokenVault` (the
/// database only holds ciphertext, each bound to its row), plus the cross-host single flight that
/// Calendly's single-use refresh tokens need (`withRefreshLock`).
public final class PostgresTokenKeeper: TokenKeeper, PKCEVerifiers, Sendable {
    let store: PostgresStore
    let vault: TokenVault
    let now: @Sendable () -> Instant
    let logger: Logger

    public init(store: PostgresStore, vault: TokenVault, now: @escaping @Sendable () -> Instant = SQLiteTokenKeeper.wallClock,
                logger: Logger = Logger(label: "calendly-action.tokens")) {
        self.store = store; self.vault = vault; self.now = now; self.logger = logger
    }

    static func tokenContext(_ reference: TokenReference) -> Data { Data("token:\(reference.rawValue)".utf8) }
    static func verifierContext(_ state: String) -> Data { Data("pkce:\(state)".utf8) }

    private static func encoder() -> JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return encoder
    }

    // MARK: TokenKeeper

    public func save(_ tokens: CalendlyTokens, as reference: TokenReference, agent: AgentID?) async throws {
        let sealed = try vault.seal(try Self.encoder().encode(tokens), context: Self.tokenContext(reference))
        let at = now()
        let keyID = vault.currentKeyID
        try store.transaction { tx in try tx.putSealedToken(reference, agent: agent, ciphertext: sealed, keyID: keyID, at: at) }
    }

    public func load(_ reference: TokenReference) async throws -> CalendlyTokens? {
        guard let row = try store.transaction({ tx in try tx.sealedToken(reference) }) else { return nil }
        return try JSONDecoder().decode(CalendlyTokens.self, from: try vault.open(row.ciphertext, context: Self.tokenContext(reference)))
    }

    public func delete(_ reference: TokenReference) async throws {
        try store.transaction { tx in tx.deleteToken(reference) }
    }

    public func deleteAll(agent: AgentID) async throws {
        try store.transaction { tx in tx.deleteTokens(of: agent) }
    }

    /// Re-seals every token not sealed with the current key (rows locked while re-sealed); returns how many.
    public func resealWithCurrentKey() async throws -> Int {
        let keyID = vault.currentKeyID
        let at = now()
        return try store.transaction { tx in
            let references = try tx.tokenReferences(notSealedWith: keyID)
            for reference in references {
                guard let row = try tx.sealedToken(reference, lock: true) else { continue }
                let context = Self.tokenContext(reference)
                let sealed = try vault.seal(try vault.open(row.ciphertext, context: context), context: context)
                try tx.putSealedToken(reference, agent: row.agent, ciphertext: sealed, keyID: keyID, at: at)
            }
            return references.count
        }
    }

    /// Runs `body` — load the tokens, refresh at Calendly, save the rotated pair — while holding a
    /// database-wide lock on `reference`, so at most one host refreshes a grant at a time. `body` must
    /// re-read the tokens itself after the lock is granted (another host may have just rotated them);
    /// its loads and saves use the store's pool, the lock a dedicated connection. The lock is released
    /// when `body` returns or throws, and by the server if this host dies holding it.
    public func withRefreshLock<T: Sendable>(_ reference: TokenReference, _ body: () async throws -> T) async throws -> T {
        let connection = try await store.pool.dedicatedConnection()
        do {
            _ = try await connection.query("BEGIN", logger: logger).get()
            let key = "\(store.pool.lockNamespace)|token:\(reference.rawValue)"
            _ = try await connection.query("SELECT pg_advisory_xact_lock(hashtextextended(\(key), 0))", logger: logger).get()
            let value = try await body()
            _ = try await connection.query("COMMIT", logger: logger).get()
            try? await connection.close()
            return value
        } catch {
            _ = try? await connection.query("ROLLBACK", logger: logger).get()
            try? await connection.close()
            throw (error as? PSQLError).map { PostgresStoreError.wrap($0, operation: "token lock") } ?? error
        }
    }

    // MARK: PKCE verifiers

    public func saveVerifier(state: String, verifier: String, at: Instant) async throws {
        let sealed = try vault.seal(Data(verifier.utf8), context: Self.verifierContext(state))
        try store.transaction { tx in try tx.putSealedVerifier(state: state, ciphertext: sealed, at: at) }
    }

    public func verifier(forState state: String) async -> String? {
        do {
            guard let sealed = try store.transaction({ tx in try tx.sealedVerifier(state: state) }) else { return nil }
            return String(decoding: try vault.open(sealed, context: Self.verifierContext(state)), as: UTF8.self)
        } catch {
            logger.error("PKCE verifier unreadable", metadata: ["error": "\(type(of: error))"])
            return nil
        }
    }

    @discardableResult
    public func deleteVerifiers(createdBefore cutoff: Instant) async throws -> Int {
        try store.transaction { tx in try tx.deleteVerifiers(createdBefore: cutoff) }
    }
}

/// The token keeper's rows. The store only ever sees ciphertext.
extension PostgresTransaction {
    struct SealedToken { var agent: AgentID?; var ciphertext: Data; var keyID: String }

    mutating func putSealedToken(_ reference: TokenReference, agent: AgentID?, ciphertext: Data, keyID: String, at: Instant) throws {
        try checked {
            try session.run("""
                INSERT INTO tokens AS t(reference, agent, ciphertext, key_id, updated_at_ms) VALUES ($1, $2, $3, $4, $5)
                ON CONFLICT(reference) DO UPDATE SET agent = COALESCE(excluded.agent, t.agent), ciphertext = excluded.ciphertext,
                    key_id = excluded.key_id, updated_at_ms = excluded.updated_at_ms
                """, [.text(reference.rawValue), .optionalText(agent?.rawValue), .bytes(Array(ciphertext)), .text(keyID),
                      .integer(at.millisecondsSince1970)], operation: "put token")
        }
    }

    /// `lock`: `SELECT … FOR UPDATE`, so a concurrent writer of the row waits for this transaction.
    mutating func sealedToken(_ reference: TokenReference, lock: Bool = false) throws -> SealedToken? {
        try checked {
            try session.rows("SELECT agent, ciphertext, key_id FROM tokens WHERE reference = $1" + (lock ? " FOR UPDATE" : ""),
                             [.text(reference.rawValue)], operation: "token").first.map {
                SealedToken(agent: try $0.optionalText(0).map(AgentID.init(rawValue:)), ciphertext: Data(try $0.bytes(1)), keyID: try $0.text(2))
            }
        }
    }

    mutating func tokenReferences(notSealedWith keyID: String) throws -> [TokenReference] {
        try checked {
            try session.rows("SELECT reference FROM tokens WHERE key_id <> $1", [.text(keyID)], operation: "token references")
                .map { TokenReference(try $0.text(0)) }.sorted()
        }
    }

    mutating func putSealedVerifier(state: String, ciphertext: Data, at: Instant) throws {
        try checked {
            try session.run("""
                INSERT INTO oauth_verifiers(state, verifier_ciphertext, created_at_ms) VALUES ($1, $2, $3)
                ON CONFLICT(state) DO UPDATE SET verifier_ciphertext = excluded.verifier_ciphertext, created_at_ms = excluded.created_at_ms
                """, [.text(state), .bytes(Array(ciphertext)), .integer(at.millisecondsSince1970)], operation: "put verifier")
        }
    }

    mutating func sealedVerifier(state: String) throws -> Data? {
        try checked {
            try session.rows("SELECT verifier_ciphertext FROM oauth_verifiers WHERE state = $1", [.text(state)], operation: "verifier")
                .first.map { Data(try $0.bytes(0)) }
        }
    }

    mutating func deleteVerifiers(createdBefore cutoff: Instant) throws -> Int {
        try checked {
            try session.run("DELETE FROM oauth_verifiers WHERE created_at_ms < $1", [.integer(cutoff.millisecondsSince1970)], operation: "delete verifiers")
        }
    }
}
