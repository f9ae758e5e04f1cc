import Core
import Effects
import Foundation

/// `SealedTokenKeeper` over SQLite: the default, one process per file.
public typealias SQLiteTokenKeeper = SealedTokenKeeper<SQLiteStore>

extension SQLiteStore: SealedTokenRows {
    public func putSealedToken(_ reference: TokenReference, agent: AgentID?, ciphertext: Data, keyID: String, at: Instant) throws {
        try transaction { tx in try tx.putSealedToken(reference, agent: agent, ciphertext: ciphertext, keyID: keyID, at: at) }
    }

    public func sealedToken(_ reference: TokenReference) throws -> SealedToken? {
        try transaction { tx in try tx.sealedToken(reference) }
    }

    public func deleteSealedToken(_ reference: TokenReference) throws {
        try transaction { tx in tx.deleteToken(reference) }
    }

    public func deleteSealedTokens(of agent: AgentID) throws {
        try transaction { tx in tx.deleteTokens(of: agent) }
    }

    /// SQLite has one writer at a time: the transaction alone keeps the rows from changing meanwhile.
    public func resealTokens(notSealedWith keyID: String, at: Instant, _ reseal: (TokenReference, Data) throws -> Data) throws -> Int {
        try transaction { tx in
            let references = try tx.tokenReferences(notSealedWith: keyID)
            for reference in references {
                guard let row = try tx.sealedToken(reference) else { continue }
                try tx.putSealedToken(reference, agent: row.agent, ciphertext: try reseal(reference, row.ciphertext), keyID: keyID, at: at)
            }
            return references.count
        }
    }

    public func putSealedVerifier(state: String, ciphertext: Data, at: Instant) throws {
        try transaction { tx in try tx.putSealedVerifier(state: state, ciphertext: ciphertext, at: at) }
    }

    public func sealedVerifier(state: String) throws -> Data? {
        try transaction { tx in try tx.sealedVerifier(state: state) }
    }

    public func deleteSealedVerifiers(createdBefore cutoff: Instant) throws -> Int {
        try transaction { tx in try tx.deleteVerifiers(createdBefore: cutoff) }
    }
}

/// The token keeper's rows. The store only ever sees ciphertext.
extension SQLiteTransaction {
    mutating func putSealedToken(_ reference: TokenReference, agent: AgentID?, ciphertext: Data, keyID: String, at: Instant) throws {
        try checked {
            // One statement: the rotated token replaces the old one atomically. An unknown agent keeps the row's.
            try db.run("""
                INSERT INTO tokens(reference, agent, ciphertext, key_id, updated_at_ms) VALUES (?, ?, ?, ?, ?)
                ON CONFLICT(reference) DO UPDATE SET agent = COALESCE(excluded.agent, tokens.agent), ciphertext = excluded.ciphertext,
                    key_id = excluded.key_id, updated_at_ms = excluded.updated_at_ms
                """, [.text(reference.rawValue), .optional(agent?.rawValue), .blob(ciphertext), .text(keyID), .integer(at.millisecondsSince1970)])
        }
    }

    mutating func sealedToken(_ reference: TokenReference) throws -> SealedToken? {
        try checked {
            try db.row("SELECT agent, ciphertext, key_id FROM tokens WHERE reference = ?", [.text(reference.rawValue)]) {
                SealedToken(agent: $0.text(0).map(AgentID.init(rawValue:)), ciphertext: $0.blob(1) ?? Data(), keyID: $0.text(2) ?? "")
            }
        }
    }

    /// References of tokens sealed under a key other than `keyID` (to re-seal after a rotation).
    mutating func tokenReferences(notSealedWith keyID: String) throws -> [TokenReference] {
        try checked {
            try db.rows("SELECT reference FROM tokens WHERE key_id <> ? ORDER BY reference", [.text(keyID)]) { TokenReference($0.text(0) ?? "") }
        }
    }

    mutating func putSealedVerifier(state: String, ciphertext: Data, at: Instant) throws {
        try checked {
            try db.run("""
                INSERT INTO oauth_verifiers(state, verifier_ciphertext, created_at_ms) VALUES (?, ?, ?)
                ON CONFLICT(state) DO UPDATE SET verifier_ciphertext = excluded.verifier_ciphertext, created_at_ms = excluded.created_at_ms
                """, [.text(state), .blob(ciphertext), .integer(at.millisecondsSince1970)])
        }
    }

    mutating func sealedVerifier(state: String) throws -> Data? {
        try checked { try db.row("SELECT verifier_ciphertext FROM oauth_verifiers WHERE state = ?", [.text(state)]) { $0.blob(0) } ?? nil }
    }

    mutating func deleteVerifiers(createdBefore cutoff: Instant) throws -> Int {
        try checked { try db.run("DELETE FROM oauth_verifiers WHERE created_at_ms < ?", [.integer(cutoff.millisecondsSince1970)]) }
    }
}
