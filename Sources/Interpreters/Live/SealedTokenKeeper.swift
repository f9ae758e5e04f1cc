import Core
import Effects
import Foundation
import Logging

/// OAuth tokens and PKCE verifiers kept by a store, sealed by a `TokenVault`: the database (its WAL, its
/// backups) only ever holds ciphertext. Each ciphertext is bound to its row (the token reference or OAuth
/// state is authenticated data), so rows cannot be swapped. Sealing, opening and encoding live here once;
/// each store only keeps rows (`SealedTokenRows`).
public final class SealedTokenKeeper<Rows: SealedTokenRows>: TokenKeeper, PKCEVerifiers, Sendable {
    let store: Rows
    let vault: TokenVault
    let now: @Sendable () -> Instant
    let logger: Logger

    public init(store: Rows, vault: TokenVault, now: @escaping @Sendable () -> Instant = LiveCalendly.wallClock,
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

    /// Saves (or replaces, e.g. after a refresh) the tokens under `reference`, in one statement. Tokens
    /// saved with their `agent` are removed by a disconnect (`deleteAll(agent:)`); a nil agent keeps the
    /// row's owner.
    public func save(_ tokens: CalendlyTokens, as reference: TokenReference, agent: AgentID?) async throws {
        let sealed = try vault.seal(try Self.encoder().encode(tokens), context: Self.tokenContext(reference))
        try store.putSealedToken(reference, agent: agent, ciphertext: sealed, keyID: vault.currentKeyID, at: now())
    }

    public func load(_ reference: TokenReference) async throws -> CalendlyTokens? {
        guard let row = try store.sealedToken(reference) else { return nil }
        return try JSONDecoder().decode(CalendlyTokens.self, from: try vault.open(row.ciphertext, context: Self.tokenContext(reference)))
    }

    public func delete(_ reference: TokenReference) async throws {
        try store.deleteSealedToken(reference)
    }

    /// Every token of `agent` (disconnect), in one transaction.
    public func deleteAll(agent: AgentID) async throws {
        try store.deleteSealedTokens(of: agent)
    }

    /// Re-seals every token not sealed with the current key; returns how many. Run after a rotation,
    /// then the old key can be dropped from `TOKEN_ENCRYPTION_OLD_KEYS`.
    public func resealWithCurrentKey() async throws -> Int {
        try store.resealTokens(notSealedWith: vault.currentKeyID, at: now()) { reference, ciphertext in
            let context = Self.tokenContext(reference)
            return try vault.seal(try vault.open(ciphertext, context: context), context: context)
        }
    }

    public func withRefreshLock<T: Sendable>(_ reference: TokenReference, _ body: () async throws -> T) async throws -> T {
        try await store.withRefreshLock(reference, body)
    }

    // MARK: PKCE verifiers

    public func saveVerifier(state: String, verifier: String, at: Instant) async throws {
        try store.putSealedVerifier(state: state, ciphertext: try vault.seal(Data(verifier.utf8), context: Self.verifierContext(state)), at: at)
    }

    /// The verifier minted for `state`, or nil when unknown or unreadable (logged with the error's type
    /// only: its description could quote what it failed to read).
    public func verifier(forState state: String) async -> String? {
        do {
            guard let sealed = try store.sealedVerifier(state: state) else { return nil }
            return String(decoding: try vault.open(sealed, context: Self.verifierContext(state)), as: UTF8.self)
        } catch {
            logger.error("PKCE verifier unreadable", metadata: ["error": "\(type(of: error))"])
            return nil
        }
    }

    /// Drops verifiers older than `cutoff` (an OAuth round trip takes minutes); returns how many.
    @discardableResult
    public func deleteVerifiers(createdBefore cutoff: Instant) async throws -> Int {
        try store.deleteSealedVerifiers(createdBefore: cutoff)
    }
}

/// One sealed token row.
public struct SealedToken: Sendable {
    public var agent: AgentID?
    public var ciphertext: Data
    public var keyID: String

    public init(agent: AgentID?, ciphertext: Data, keyID: String) {
        self.agent = agent; self.ciphertext = ciphertext; self.keyID = keyID
    }
}

/// What a store keeps for `SealedTokenKeeper`: ciphertext rows, each call its own transaction.
public protocol SealedTokenRows: Sendable {
    /// One statement: a rotated token replaces the old one atomically; a nil agent keeps the row's.
    func putSealedToken(_ reference: TokenReference, agent: AgentID?, ciphertext: Data, keyID: String, at: Instant) throws
    func sealedToken(_ reference: TokenReference) throws -> SealedToken?
    func deleteSealedToken(_ reference: TokenReference) throws
    func deleteSealedTokens(of agent: AgentID) throws
    /// In one transaction, replaces the ciphertext of every token not sealed with `keyID` by `reseal`'s
    /// (rows locked while re-sealed where the store has row locks); returns how many.
    func resealTokens(notSealedWith keyID: String, at: Instant, _ reseal: (TokenReference, Data) throws -> Data) throws -> Int
    func putSealedVerifier(state: String, ciphertext: Data, at: Instant) throws
    func sealedVerifier(state: String) throws -> Data?
    func deleteSealedVerifiers(createdBefore cutoff: Instant) throws -> Int
    /// `TokenKeeper.withRefreshLock`: one process per store needs nothing (the default).
    func withRefreshLock<T: Sendable>(_ reference: TokenReference, _ body: () async throws -> T) async throws -> T
}

extension SealedTokenRows {
    public func withRefreshLock<T: Sendable>(_ reference: TokenReference, _ body: () async throws -> T) async throws -> T {
        try await body()
    }
}

/// The statements behind `SealedTokenRows`, in one store transaction; a store whose transaction has them
/// keeps sealed rows with no code of its own.
public protocol SealedTokenTransaction: AggregateTransaction {
    mutating func putSealedToken(_ reference: TokenReference, agent: AgentID?, ciphertext: Data, keyID: String, at: Instant) throws
    /// `lock`: hold the row until the transaction ends, where the store has row locks.
    mutating func sealedToken(_ reference: TokenReference, lock: Bool) throws -> SealedToken?
    /// References of tokens sealed under a key other than `keyID`, sorted.
    mutating func tokenReferences(notSealedWith keyID: String) throws -> [TokenReference]
    mutating func putSealedVerifier(state: String, ciphertext: Data, at: Instant) throws
    mutating func sealedVerifier(state: String) throws -> Data?
    mutating func deleteVerifiers(createdBefore cutoff: Instant) throws -> Int
}

extension SealedTokenRows where Self: TransactionalStore, Transaction: SealedTokenTransaction {
    public func putSealedToken(_ reference: TokenReference, agent: AgentID?, ciphertext: Data, keyID: String, at: Instant) throws {
        try transaction { tx in try tx.putSealedToken(reference, agent: agent, ciphertext: ciphertext, keyID: keyID, at: at) }
    }

    public func sealedToken(_ reference: TokenReference) throws -> SealedToken? {
        try transaction { tx in try tx.sealedToken(reference, lock: false) }
    }

    public func deleteSealedToken(_ reference: TokenReference) throws {
        try transaction { tx in tx.deleteToken(reference) }
    }

    public func deleteSealedTokens(of agent: AgentID) throws {
        try transaction { tx in tx.deleteTokens(of: agent) }
    }

    /// Each row locked while re-sealed (SQLite's one writer locks them all), so a refresh on another host
    /// waits for it.
    public func resealTokens(notSealedWith keyID: String, at: Instant, _ reseal: (TokenReference, Data) throws -> Data) throws -> Int {
        try transaction { tx in
            let references = try tx.tokenReferences(notSealedWith: keyID)
            for reference in references {
                guard let row = try tx.sealedToken(reference, lock: true) else { continue }
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
