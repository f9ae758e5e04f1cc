import Core
import Effects
import Foundation
import Logging

/// OAuth tokens and PKCE verifiers in the `SQLiteStore`, sealed by a `TokenVault`: the database (and its
/// WAL, and its backups) only ever holds ciphertext. Each ciphertext is bound to its row (the token
/// reference or OAuth state is authenticated data), so rows cannot be swapped.
public final class SQLiteTokenKeeper: TokenKeeper, PKCEVerifiers, Sendable {
    let store: SQLiteStore
    let vault: TokenVault
    let now: @Sendable () -> Instant
    let logger: Logger

    public init(store: SQLiteStore, vault: TokenVault, now: @escaping @Sendable () -> Instant = SQLiteTokenKeeper.wallClock,
                logger: Logger = Logger(label: "calendly-action.tokens")) {
        self.store = store; self.vault = vault; self.now = now; self.logger = logger
    }

    public static func wallClock() -> Instant {
        Instant(millisecondsSince1970: Int64((Date().timeIntervalSince1970 * 1000).rounded(.down)))
    }

    static func tokenContext(_ reference: TokenReference) -> Data { Data("token:\(reference.rawValue)".utf8) }
    static func verifierContext(_ state: String) -> Data { Data("pkce:\(state)".utf8) }

    private static func encoder() -> JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return encoder
    }

    // MARK: TokenKeeper

    /// Saves (or replaces, e.g. after a refresh) the tokens under `reference`, in one statement. Tokens
    /// saved with their `agent` are removed by a disconnect (`deleteTokens(of:)`); a nil agent keeps the
    /// row's owner.
    public func save(_ tokens: CalendlyTokens, as reference: TokenReference, agent: AgentID?) async throws {
        let sealed = try vault.seal(try Self.encoder().encode(tokens), context: Self.tokenContext(reference))
        let at = now()
        let keyID = vault.currentKeyID
        try store.transaction { tx in
            try tx.putSealedToken(reference, agent: agent, ciphertext: sealed, keyID: keyID, at: at)
        }
    }

    public func load(_ reference: TokenReference) async throws -> CalendlyTokens? {
        guard let row = try store.transaction({ tx in try tx.sealedToken(reference) }) else { return nil }
        let plaintext = try vault.open(row.ciphertext, context: Self.tokenContext(reference))
        return try JSONDecoder().decode(CalendlyTokens.self, from: plaintext)
    }

    public func delete(_ reference: TokenReference) async throws {
        try store.transaction { tx in tx.deleteToken(reference) }
    }

    /// Every token of `agent` (disconnect), in one transaction.
    public func deleteAll(agent: AgentID) async throws {
        try store.transaction { tx in tx.deleteTokens(of: agent) }
    }

    /// Re-seals every token not sealed with the current key; returns how many. Run after a rotation,
    /// then the old key can be dropped from `TOKEN_ENCRYPTION_OLD_KEYS`.
    public func resealWithCurrentKey() async throws -> Int {
        let keyID = vault.currentKeyID
        let at = now()
        return try store.transaction { tx in
            let references = try tx.tokenReferences(notSealedWith: keyID)
            for reference in references {
                guard let row = try tx.sealedToken(reference) else { continue }
                let context = Self.tokenContext(reference)
                let sealed = try vault.seal(try vault.open(row.ciphertext, context: context), context: context)
                try tx.putSealedToken(reference, agent: row.agent, ciphertext: sealed, keyID: keyID, at: at)
            }
            return references.count
        }
    }

    // MARK: PKCE verifiers

    public func saveVerifier(state: String, verifier: String, at: Instant) async throws {
        let sealed = try vault.seal(Data(verifier.utf8), context: Self.verifierContext(state))
        try store.transaction { tx in try tx.putSealedVerifier(state: state, ciphertext: sealed, at: at) }
    }

    /// The verifier minted for `state`, or nil when unknown or unreadable (logged without details of the secret).
    public func verifier(forState state: String) async -> String? {
        do {
            guard let sealed = try store.transaction({ tx in try tx.sealedVerifier(state: state) }) else { return nil }
            return String(decoding: try vault.open(sealed, context: Self.verifierContext(state)), as: UTF8.self)
        } catch {
            logger.error("PKCE verifier unreadable", metadata: ["error": "\(error)"])
            return nil
        }
    }

    /// Drops verifiers older than `cutoff` (an OAuth round trip takes minutes); returns how many.
    @discardableResult
    public func deleteVerifiers(createdBefore cutoff: Instant) async throws -> Int {
        try store.transaction { tx in try tx.deleteVerifiers(createdBefore: cutoff) }
    }
}

/// The token keeper's rows. The store only ever sees ciphertext.
extension SQLiteTransaction {
    struct SealedToken { var agent: AgentID?; var ciphertext: Data; var keyID: String }

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
