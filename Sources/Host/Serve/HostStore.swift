import Core
import Effects
import Foundation
import Interpreters
import Logging
import PostgresStore

/// What `serve` needs of a store beyond the runtime's transactions: its token keeper, what to resume at
/// start, and how hosts on it take turns. SQLite (one file, one host: the default) and PostgreSQL
/// (`DATABASE_URL`: N hosts, one database — issue 13).
public protocol HostStore: TransactionalStore {
    associatedtype Keeper: HostKeeper
    func makeKeeper(vault: TokenVault, logger: Logger) -> Keeper
    func makeCoordination() -> any HostCoordination
}

/// Tokens, PKCE verifiers and their retention.
public protocol HostKeeper: TokenKeeper, VerifierStore {
    @discardableResult
    func deleteVerifiers(createdBefore cutoff: Instant) async throws -> Int
}

/// How this host shares background work with the other hosts on its database.
public protocol HostCoordination: Sendable {
    /// How often `renew` runs (a job not held waits this long before it looks again).
    var renewEvery: Span { get }
    /// Whether this host runs the background jobs (as of the last `renew`).
    var holdsJobs: Bool { get }
    /// Keeps this host's leases; true while it holds the background jobs.
    @discardableResult
    func renew() -> Bool
    /// Conversations waiting on Calendly that nobody drives any more, now this host's to resume.
    /// `atStart`: the process just started (with SQLite: everything that waited when it stopped).
    func conversationsToResume(atStart: Bool) throws -> [ConversationID]
    /// A clean stop: the others need not wait for this host's lease to expire.
    func resign()
}

extension SealedTokenKeeper: HostKeeper {}

extension SQLiteStore: HostStore {
    public func makeKeeper(vault: TokenVault, logger: Logger) -> SQLiteTokenKeeper { SQLiteTokenKeeper(store: self, vault: vault, logger: logger) }
    public func makeCoordination() -> any HostCoordination { SoleHost(store: self) }
}

/// One SQLite file has one host: it runs every job, and at start resumes whatever was waiting on Calendly.
struct SoleHost: HostCoordination {
    let store: SQLiteStore
    var renewEvery: Span { .seconds(5) }
    var holdsJobs: Bool { true }
    func renew() -> Bool { true }
    func conversationsToResume(atStart: Bool) throws -> [ConversationID] { atStart ? try store.conversationIDsAwaitingCalendly() : [] }
    func resign() {}
}

extension PostgresStore: HostStore {
    public func makeKeeper(vault: TokenVault, logger: Logger) -> PostgresTokenKeeper { PostgresTokenKeeper(store: self, vault: vault, logger: logger) }
    public func makeCoordination() -> any HostCoordination { SharedDatabaseHost(leases: PostgresLeases(store: self)) }
}

/// Several hosts on one PostgreSQL database: the `jobs` lease decides who runs the background jobs, and
/// its holder resumes the conversations of hosts whose own lease expired. At start a host resumes only
/// those too — never a conversation a live host is still waiting on Calendly for.
struct SharedDatabaseHost: HostCoordination {
    let leases: PostgresLeases
    var renewEvery: Span { leases.renewEvery }
    var holdsJobs: Bool { leases.holdsJobs }
    func renew() -> Bool { (try? leases.renew()) ?? false }
    func conversationsToResume(atStart: Bool) throws -> [ConversationID] {
        leases.holdsJobs || atStart ? try leases.claimOrphanedConversations() : []
    }
    func resign() { try? leases.resign() }
}

extension HostConfiguration {
    /// `DATABASE_URL` (a `postgres://` URL) selects PostgreSQL; unset or empty keeps SQLite under the data directory.
    static func databaseURL(_ environment: [String: String]) throws -> DatabaseURL? {
        guard let text = environment["DATABASE_URL"], !text.isEmpty else { return nil }
        return try DatabaseURL(parsing: text)
    }

    /// `DATABASE_POOL_SIZE`: connections this host opens at most (default 4); hosts × this must stay
    /// under the server's `max_connections`, with room for each host's token-refresh locks.
    static func databasePoolSize(_ environment: [String: String]) throws -> Int {
        guard let text = environment["DATABASE_POOL_SIZE"], !text.isEmpty else { return 4 }
        guard let size = Int(text), (1...200).contains(size) else { throw Invalid(problems: ["DATABASE_POOL_SIZE must be 1…200 (got \(text))"]) }
        return size
    }
}
