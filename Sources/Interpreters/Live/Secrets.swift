import Core
import Effects

/// OAuth tokens of one Calendly connection. Never logged, never journaled, never in an effect:
/// the core sees only the `TokenReference` they are kept under.
public struct CalendlyTokens: Sendable, Equatable, Codable {
    public var accessToken: String
    public var refreshToken: String
    public var expiresAt: Instant
    public var owner: CalendlyURI
    public var organization: CalendlyURI
    public var scopes: [String]

    public init(accessToken: String, refreshToken: String, expiresAt: Instant, owner: CalendlyURI, organization: CalendlyURI, scopes: [String]) {
        self.accessToken = accessToken; self.refreshToken = refreshToken; self.expiresAt = expiresAt
        self.owner = owner; self.organization = organization; self.scopes = scopes
    }
}

extension CalendlyTokens: CustomStringConvertible, CustomDebugStringConvertible {
    /// Redacted, so an accidental interpolation can never print a token.
    public var description: String { "CalendlyTokens(owner: \(owner), expiresAt: \(expiresAt), tokens: <redacted>)" }
    public var debugDescription: String { description }
}

/// Where tokens live (encrypted at rest in production: `TokenVault` + SQLite). Implementations must
/// make `save` atomic: a rotated refresh token is either fully stored or not at all.
public protocol TokenKeeper: Sendable {
    /// `agent` owns the tokens (a code exchange); nil keeps the owner the reference already has (a refresh).
    func save(_ tokens: CalendlyTokens, as reference: TokenReference, agent: AgentID?) async throws
    func load(_ reference: TokenReference) async throws -> CalendlyTokens?
    func delete(_ reference: TokenReference) async throws
    /// Runs `body` (load the tokens, Calendly's refresh grant, save the rotated pair) as the only refresh of
    /// `reference` in flight among every process on the store: Calendly's refresh tokens are single-use.
    /// One process per store needs nothing more (the default); several hosts on one database lock the token.
    func withRefreshLock<T: Sendable>(_ reference: TokenReference, _ body: () async throws -> T) async throws -> T
}

extension TokenKeeper {
    public func withRefreshLock<T: Sendable>(_ reference: TokenReference, _ body: () async throws -> T) async throws -> T {
        try await body()
    }

    /// Replaces the tokens under `reference`, keeping their owner (a refresh).
    public func save(_ tokens: CalendlyTokens, as reference: TokenReference) async throws {
        try await save(tokens, as: reference, agent: nil)
    }
}

/// PKCE code verifiers minted by the host at connect time, keyed by the OAuth `state`.
public protocol PKCEVerifiers: Sendable {
    func verifier(forState state: String) async -> String?
}
