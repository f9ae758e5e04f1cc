import Foundation
import Synchronization
import Testing
@testable import PostgresStore

/// The leases several hosts on one database take turns by (issue 13), against a real server: one jobs
/// holder at a time, taken over once the holder stops renewing (or at once after it resigns), and a dead
/// host's conversations waiting on Calendly claimed by exactly one survivor.
@Suite struct PostgresLeasesTests {
    /// Short leases, so expiry is a wait of a few hundred milliseconds (the default is 15 s).
    static func leases(_ store: PostgresStore) -> PostgresLeases { PostgresLeases(store: store, ttl: .milliseconds(400), renewEvery: .milliseconds(100)) }

    @Test func oneHostHoldsTheJobsUntilItStopsRenewingThenAnotherTakesOver() throws {
        try PostgresTestDatabase.withStore { store, url throws in
            let other = try PostgresStore(url: url, schema: store.schema, poolSize: 1, host: "host-b")
            let a = Self.leases(store), b = Self.leases(other)
            #expect(try a.renew(), "the first to ask gets the jobs")
            #expect(try !b.renew(), "a second host does not, while the holder renews")
            #expect(try a.renew() && a.holdsJobs && !b.holdsJobs)
            #expect(try a.holders()[PostgresLeases.jobsLease] == store.host)

            // A stops renewing (killed): once its lease has expired, B takes the jobs on its next renewal.
            Thread.sleep(forTimeInterval: 0.6)
            #expect(try b.renew(), "B takes over an expired lease")
            #expect(try !a.renew(), "and A, back, finds it taken")
            #expect(!a.holdsJobs)

            // A clean stop hands over at once.
            try b.resign()
            #expect(!b.holdsJobs)
            #expect(try a.renew(), "after B resigned, A needs no wait")
        }
    }

    /// A holder that was paused past its lease (a long GC, SIGSTOP) must not go on leading until its next
    /// renewal runs: the other host may have taken the jobs meanwhile, and two would POST the outbox.
    @Test func aPausedHolderStopsLeadingOnItsOwnClock() throws {
        try PostgresTestDatabase.withStore { store, url throws in
            let other = try PostgresStore(url: url, schema: store.schema, poolSize: 1, host: "host-b")
            let a = Self.leases(store), b = Self.leases(other)
            #expect(try a.renew() && a.holdsJobs)
            Thread.sleep(forTimeInterval: 0.6)   // A is paused: no renewal ran
            #expect(!a.holdsJobs, "past its lease without a renewal, A no longer leads — before it renews again")
            #expect(try b.renew() && b.holdsJobs, "B took the jobs over")
            #expect(try !a.renew() && !a.holdsJobs)
        }
    }

    @Test func aDeadHostsWaitingConversationsAreClaimedOnceAndOnlyAfterItsLeaseExpired() throws {
        try PostgresTestDatabase.withStore { store, url throws in
            let other = try PostgresStore(url: url, schema: store.schema, poolSize: 1, host: "host-b")
            let third = try PostgresStore(url: url, schema: store.schema, poolSize: 1, host: "host-c")
            let a = Self.leases(store), b = Self.leases(other), c = Self.leases(third)
            #expect(try a.renew())
            _ = try b.renew(); _ = try c.renew()
            // Conversations A saved: two waiting on Calendly, one not; one waiting whose driver is unknown (saved before the cluster migration).
            try store.transaction { tx in
                for (id, waits, driver) in [("acme:w1", 1, store.host), ("acme:w2", 1, store.host), ("acme:idle", 0, store.host), ("acme:old", 1, nil)] as [(String, Int64, String?)] {
                    try tx.session.run("INSERT INTO conversations(id, state, phase, awaits_calendly, updated_at_ms, driver) VALUES ($1, '{}', 'booking', $2, 0, $3)",
                                       [.text(id), .integer(waits), .optionalText(driver)], operation: "test")
                }
            }
            #expect(try b.claimOrphanedConversations().map(\.rawValue) == ["acme:old"], "only the driverless one while A is alive")
            #expect(try c.claimOrphanedConversations().isEmpty, "B drives it now, and B is alive")

            Thread.sleep(forTimeInterval: 0.6)   // A stops renewing; B and C go on
            _ = try b.renew(); _ = try c.renew()
            let claims = Mutex<[[String]]>([[], []])
            DispatchQueue.concurrentPerform(iterations: 2) { index in
                let claimed = (try? [b, c][index].claimOrphanedConversations().map(\.rawValue)) ?? ["failed"]
                claims.withLock { $0[index] = claimed }
            }
            let claimed = claims.withLock { $0 }
            #expect((claimed[0] + claimed[1]).sorted() == ["acme:w1", "acme:w2"], "each of A's waiting conversations went to exactly one of B and C: \(claimed)")
            let drivers = try store.transaction { tx in
                try tx.session.rows("SELECT id, driver FROM conversations ORDER BY id", operation: "test").map { (try $0.text(0), try $0.optionalText(1)) }
            }
            #expect(drivers.first { $0.0 == "acme:idle" }?.1 == store.host, "a conversation not waiting is nobody's to resume")
            #expect(drivers.filter { ["acme:w1", "acme:w2"].contains($0.0) }.allSatisfy { $0.1 == "host-b" || $0.1 == "host-c" })
        }
    }
}
