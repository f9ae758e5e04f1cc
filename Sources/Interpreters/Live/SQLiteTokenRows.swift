import Core
import Effects
import Foundation

/// `SealedTokenKeeper` over SQLite: the default, one process per file.
public typealias SQLiteTokenKeeper = SealedTokenKeeper<SQLiteStore>

extension SQLiteStore: SealedTokenRows {}

/// The token keeper's rows. The store only ever sees ciphertext.
extension SQLiteTransaction: SealedTokenTransaction {
    public mutating func putSealedToken(_ reference: TokenReference, agent: AgentID?, ciphertext: Data, keyID: String, at: Instant) throws {
        try checked {
            // One statement: the rotated token replaces the old one atomically. An unknown agent keeps the row's.
            try db.run("""
                INSERT INTO tokens(reference, agent, ciphertext, key_id, updated_at_ms) VALUES (?, ?, ?, ?, ?)
                ON CONFLICT(reference) DO UPDATE SET agent = COALESCE(excluded.agent, tokens.agent), ciphertext = excluded.ciphertext,
                    key_id = excluded.key_id, updated_at_ms = excluded.updated_at_ms
                """, [.text(reference.rawValue), .optional(agent?.rawValue), .blob(ciphertext), .text(keyID), .integer(at.millisecondsSince1970)])
        }
    }

    /// `lock` needs nothing here: a write transaction is SQLite's only writer until it ends.
    public mutating func sealedToken(_ reference: TokenReference, lock: Bool) throws -> SealedToken? {
        try checked {
            try db.row("SELECT agent, ciphertext, key_id FROM tokens WHERE reference = ?", [.text(reference.rawValue)]) {
                SealedToken(agent: $0.text(0).map(AgentID.init(rawValue:)), ciphertext: $0.blob(1) ?? Data(), keyID: $0.text(2) ?? "")
            }
        }
    }

    /// References of tokens sealed under a key other than `keyID` (to re-seal after a rotation).
    public mutating func tokenReferences(notSealedWith keyID: String) throws -> [TokenReference] {
        try checked {
            try db.rows("SELECT reference FROM tokens WHERE key_id <> ? ORDER BY reference", [.text(keyID)]) { TokenReference($0.text(0) ?? "") }
        }
    }

    public mutating func putSealedVerifier(state: String, ciphertext: Data, at: Instant) throws {
        try checked {
            try db.run("""
                INSERT INTO oauth_verifiers(state, verifier_ciphertext, created_at_ms) VALUES (?, ?, ?)
                ON CONFLICT(state) DO UPDATE SET verifier_ciphertext = excluded.verifier_ciphertext, created_at_ms = excluded.created_at_ms
                """, [.text(state), .blob(ciphertext), .integer(at.millisecondsSince1970)])
        }
    }

    public mutating func sealedVerifier(state: String) throws -> Data? {
        try checked { try db.row("SELECT verifier_ciphertext FROM oauth_verifiers WHERE state = ?", [.text(state)]) { $0.blob(0) } ?? nil }
    }

    public mutating func deleteVerifiers(createdBefore cutoff: Instant) throws -> Int {
        try checked { try db.run("DELETE FROM oauth_verifiers WHERE created_at_ms < ?", [.integer(cutoff.millisecondsSince1970)]) }
    }
}
