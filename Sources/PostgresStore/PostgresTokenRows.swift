import Core
import Effects
import Foundation
import Interpreters
import PostgresNIO

/// `SealedTokenKeeper` over PostgreSQL: several hosts on one database, so a refresh takes a lock
/// every host sees (`withRefreshLock`), as Calendly's refresh tokens are single-use.
public typealias PostgresTokenKeeper = SealedTokenKeeper<PostgresStore>

extension PostgresStore: SealedTokenRows {
    /// Runs `body` — load the tokens, refresh at Calendly, save the rotated pair — while holding a
    /// database-wide lock on `reference`, so at most one host refreshes a grant at a time. `body` must
    /// re-read the tokens itself after the lock is granted (another host may have just rotated them);
    /// its loads and saves use the store's pool, the lock a dedicated connection. The lock is released
    /// when `body` returns or throws, and by the server if this host dies holding it.
    public func withRefreshLock<T: Sendable>(_ reference: TokenReference, _ body: () async throws -> T) async throws -> T {
        let connection = try await pool.dedicatedConnection()
        do {
            _ = try await connection.query("BEGIN", logger: pool.logger).get()
            let key = "\(pool.lockNamespace)|token:\(reference.rawValue)"
            _ = try await connection.query("SELECT pg_advisory_xact_lock(hashtextextended(\(key), 0))", logger: pool.logger).get()
            let value = try await body()
            _ = try await connection.query("COMMIT", logger: pool.logger).get()
            try? await connection.close()
            return value
        } catch {
            _ = try? await connection.query("ROLLBACK", logger: pool.logger).get()
            try? await connection.close()
            throw (error as? PSQLError).map { PostgresStoreError.wrap($0, operation: "token lock") } ?? error
        }
    }
}

/// The token keeper's rows. The store only ever sees ciphertext.
extension PostgresTransaction: SealedTokenTransaction {
    public mutating func putSealedToken(_ reference: TokenReference, agent: AgentID?, ciphertext: Data, keyID: String, at: Instant) throws {
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
    public mutating func sealedToken(_ reference: TokenReference, lock: Bool) throws -> SealedToken? {
        try checked {
            try session.rows("SELECT agent, ciphertext, key_id FROM tokens WHERE reference = $1" + (lock ? " FOR UPDATE" : ""),
                             [.text(reference.rawValue)], operation: "token").first.map {
                SealedToken(agent: try $0.optionalText(0).map(AgentID.init(rawValue:)), ciphertext: Data(try $0.bytes(1)), keyID: try $0.text(2))
            }
        }
    }

    public mutating func tokenReferences(notSealedWith keyID: String) throws -> [TokenReference] {
        try checked {
            try session.rows("SELECT reference FROM tokens WHERE key_id <> $1", [.text(keyID)], operation: "token references")
                .map { TokenReference(try $0.text(0)) }.sorted()
        }
    }

    public mutating func putSealedVerifier(state: String, ciphertext: Data, at: Instant) throws {
        try checked {
            try session.run("""
                INSERT INTO oauth_verifiers(state, verifier_ciphertext, created_at_ms) VALUES ($1, $2, $3)
                ON CONFLICT(state) DO UPDATE SET verifier_ciphertext = excluded.verifier_ciphertext, created_at_ms = excluded.created_at_ms
                """, [.text(state), .bytes(Array(ciphertext)), .integer(at.millisecondsSince1970)], operation: "put verifier")
        }
    }

    public mutating func sealedVerifier(state: String) throws -> Data? {
        try checked {
            try session.rows("SELECT verifier_ciphertext FROM oauth_verifiers WHERE state = $1", [.text(state)], operation: "verifier")
                .first.map { Data(try $0.bytes(0)) }
        }
    }

    public mutating func deleteVerifiers(createdBefore cutoff: Instant) throws -> Int {
        try checked {
            try session.run("DELETE FROM oauth_verifiers WHERE created_at_ms < $1", [.integer(cutoff.millisecondsSince1970)], operation: "delete verifiers")
        }
    }
}
