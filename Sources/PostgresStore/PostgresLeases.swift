import Core
import Effects
import Synchronization

/// How the hosts on one database take turns (issue 13), through `host_leases` on the server's clock:
/// - every host renews `host:<name>` each `renewEvery`; a host that stops renewing (killed, cut off) is dead
///   once `ttl` has passed, and the conversations it was driving while they waited on Calendly are claimed
///   by the host holding `jobs`, which resumes them (`claimOrphanedConversations`);
/// - `jobs` is held by one host at a time: the background jobs (retention, subscription checks,
///   reconciliation, token checks, due timers, message delivery) run there only. Another host takes it over
///   within `ttl + renewEvery` of the holder's death (20 s with the defaults), at once after a clean stop
///   (`resign`).
public final class PostgresLeases: Sendable {
    public let store: PostgresStore
    public let ttl: Span
    public let renewEvery: Span
    private let holding = Atomic<Bool>(false)
    /// Until when (ms on `clock` since `started`) the last renewal keeps `jobs` ours, counted from before that
    /// renewal began — never later than the server's expiry. A host that was paused (a long GC, SIGSTOP, a
    /// frozen VM) stops leading on its own clock, before its next renewal has even run.
    private let heldUntil = Atomic<Int64>(0)
    private let clock = ContinuousClock()
    private let started: ContinuousClock.Instant

    public static let jobsLease = "jobs"

    public init(store: PostgresStore, ttl: Span = .seconds(15), renewEvery: Span = .seconds(5)) {
        self.store = store; self.ttl = ttl; self.renewEvery = renewEvery
        started = clock.now
    }

    private var elapsedMilliseconds: Int64 {
        let elapsed = started.duration(to: clock.now).components
        return elapsed.seconds * 1000 + elapsed.attoseconds / 1_000_000_000_000_000
    }

    public var host: String { store.host }
    static func hostLease(_ host: String) -> String { "host:\(host)" }

    /// Whether this host held `jobs` at its last renewal, and that renewal has not run out since.
    public var holdsJobs: Bool { holding.load(ordering: .acquiring) && elapsedMilliseconds < heldUntil.load(ordering: .acquiring) }

    /// The server's clock in milliseconds, in SQL.
    static let serverNow = "(extract(epoch FROM clock_timestamp()) * 1000)::bigint"

    /// Renews this host's own lease, then takes or renews `jobs` when it is free, expired or already ours.
    /// Returns (and remembers) whether this host holds `jobs`. A failure counts as not holding it: a host
    /// that cannot reach the database must not go on as if it led.
    @discardableResult
    public func renew() throws -> Bool {
        let asked = elapsedMilliseconds
        do {
            let held = try store.transaction { tx -> Bool in
                try tx.session.run("""
                    INSERT INTO host_leases(name, holder, expires_at_ms) VALUES ($1, $2, \(Self.serverNow) + $3)
                    ON CONFLICT(name) DO UPDATE SET holder = excluded.holder, expires_at_ms = excluded.expires_at_ms
                    """, [.text(Self.hostLease(host)), .text(host), .integer(ttl.milliseconds)], operation: "renew host lease")
                // Taken only when free, expired or ours: the row lock makes two hosts' attempts take turns, and the
                // second re-reads the first's row (READ COMMITTED re-checks the WHERE on the newest version).
                return try tx.session.rows("""
                    INSERT INTO host_leases AS l(name, holder, expires_at_ms) VALUES ($1, $2, \(Self.serverNow) + $3)
                    ON CONFLICT(name) DO UPDATE SET holder = excluded.holder, expires_at_ms = excluded.expires_at_ms
                    WHERE l.holder = excluded.holder OR l.expires_at_ms < \(Self.serverNow)
                    RETURNING holder
                    """, [.text(Self.jobsLease), .text(host), .integer(ttl.milliseconds)], operation: "renew jobs lease").count == 1
            }
            heldUntil.store(asked + ttl.milliseconds, ordering: .releasing)
            holding.store(held, ordering: .releasing)
            return held
        } catch {
            holding.store(false, ordering: .releasing)
            throw error
        }
    }

    /// Conversations waiting on Calendly whose driver is dead (its lease expired or never existed), now
    /// driven by this host — each claimed by one host only (the update re-checks its condition on the row
    /// another claimer just changed). The caller resumes them (`LiveRuntime.recover`: looked up, never resent).
    public func claimOrphanedConversations() throws -> [ConversationID] {
        try store.transaction { tx in
            try tx.session.rows("""
                UPDATE conversations c SET driver = $1
                WHERE c.awaits_calendly = 1 AND c.driver IS DISTINCT FROM $1
                  AND NOT EXISTS (SELECT 1 FROM host_leases l WHERE l.name = 'host:' || c.driver AND l.expires_at_ms >= \(Self.serverNow))
                RETURNING c.id
                """, [.text(host)], operation: "claim orphaned conversations").map { ConversationID(try $0.text(0)) }.sorted()
        }
    }

    /// A clean stop: gives up both leases, so another host takes the jobs over at its next renewal and
    /// resumes what this one was waiting on without waiting out the lease.
    public func resign() throws {
        holding.store(false, ordering: .releasing)
        _ = try store.transaction { tx in
            try tx.session.run("DELETE FROM host_leases WHERE name = $1 OR (name = $2 AND holder = $3)",
                               [.text(Self.hostLease(host)), .text(Self.jobsLease), .text(host)], operation: "resign leases")
        }
    }

    /// Who holds what, for tests and operators: lease name → holder, unexpired only.
    public func holders() throws -> [String: String] {
        try store.transaction { tx in
            Dictionary(uniqueKeysWithValues: try tx.session.rows(
                "SELECT name, holder FROM host_leases WHERE expires_at_ms >= \(Self.serverNow)", operation: "leases").map { (try $0.text(0), try $0.text(1)) })
        }
    }
}
