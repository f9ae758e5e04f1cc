import Core
import Effects
import Foundation
import Hummingbird
import HummingbirdTesting
import Interpreters
import Testing
@testable import Host

/// `LiveRuntime.purge` drops journal rows after `Retention.journalLifetime` (90 days), in SQLite and in
/// memory, and nothing the analytics are counted from.
@Suite struct JournalRetentionTests {
    /// Books conv-7 at `HostHarness.start`, then — 91 days later — offers conv-8; returns the time of that offer.
    static func bookThenReturn<Store: TransactionalStore>(_ services: HostServices<Store>, _ clock: TestClock) async throws -> Instant {
        try await Application(router: buildRouter(services)).test(.router) { client in
            try await HostRoutesTests.connectAndConfigure(client)
            let offer = #"{"agentId":"agent-1","channel":"whatsapp","timeZone":"Asia/Jakarta","contact":{"contact.email":"ana@example.com"}}"#
            let (_, offered, _) = try await client.call(.post, "/v1/conversations/conv-7/booking/offer", token: HostRoutesTests.runtime, json: offer)
            let row = ((offered["messages"] as? [[String: Any]])?.last?["rows"] as? [[String: Any]])?.first?["id"] as? String ?? ""
            let (_, booked, _) = try await client.call(.post, "/v1/conversations/conv-7/booking/reply", token: HostRoutesTests.runtime, json: #"{"rowId":"\#(row)"}"#)
            #expect(booked["state"] as? String == "confirmed")
            clock.advance(Retention.journalLifetime + .days(1))
            let later = HostHarness.token(.runtime, at: clock.now)
            let (status, _, _) = try await client.call(.post, "/v1/conversations/conv-8/booking/offer", token: later, json: offer)
            #expect(status == 200)
        }
        return clock.now
    }

    @Test func sqlitePurgeDropsOldJournalRowsAndKeepsAnalytics() async throws {
        let directory = NSTemporaryDirectory() + "journal-retention-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let clock = TestClock(HostHarness.start)
        let store = try SQLiteStore(path: directory + "/calendly-action.sqlite")
        let services = HostHarness.services(store: store, calendly: HostHarness.calendly(clock: clock), clock: clock)
        let recent = try await Self.bookThenReturn(services, clock)

        let agent = AgentID("acme:agent-1")
        let analyticsBefore = try store.transaction { try $0.allAnalytics() }
        let telemetryBefore = try store.transaction { try $0.telemetryCounts() }
        let report = try analyticsBefore.report(agent: agent, from: CivilDate(year: 2026, month: 11, day: 1), to: CivilDate(year: 2026, month: 11, day: 30)).get()
        #expect(report.totals.created == 1 && report.totals.offered == 1)
        let old = try store.transaction { try $0.journal(stream: "conversation:acme:conv-7") }
        #expect(!old.isEmpty)

        _ = try services.runtime.purge()

        #expect(try store.transaction { try $0.journal(stream: "conversation:acme:conv-7") }.isEmpty)
        #expect(try store.transaction { try $0.journal(stream: "agent:acme:agent-1") }.allSatisfy { $0.at >= recent - Retention.journalLifetime })
        let kept = try store.transaction { try $0.journal(stream: "conversation:acme:conv-8") }
        #expect(!kept.isEmpty && kept.allSatisfy { $0.at == recent })
        #expect(try store.transaction { try $0.allAnalytics() } == analyticsBefore)
        #expect(try store.transaction { try $0.telemetryCounts() } == telemetryBefore)
    }

    @Test func memoryPurgeDropsOldJournalRowsAndKeepsAnalytics() async throws {
        let clock = TestClock(HostHarness.start)
        let store = MemoryRuntimeStore()
        let services = HostHarness.services(store: store, calendly: HostHarness.calendly(clock: clock), clock: clock)
        let recent = try await Self.bookThenReturn(services, clock)
        let before = store.snapshot
        #expect(before.journal.contains { $0.at < recent - Retention.journalLifetime })

        _ = try services.runtime.purge()

        let after = store.snapshot
        #expect(!after.journal.isEmpty && after.journal.allSatisfy { $0.at >= recent - Retention.journalLifetime })
        #expect(after.journal == before.journal.filter { $0.at >= recent - Retention.journalLifetime })
        #expect(after.durable.analytics == before.durable.analytics)
        #expect(after.durable.telemetryCount == before.durable.telemetryCount)
    }

    @Test func rowsYoungerThanNinetyDaysStay() async throws {
        let clock = TestClock(HostHarness.start)
        let store = MemoryRuntimeStore()
        let services = HostHarness.services(store: store, calendly: HostHarness.calendly(clock: clock), clock: clock)
        try await Application(router: buildRouter(services)).test(.router) { client in try await HostRoutesTests.connectAndConfigure(client) }
        let before = store.snapshot.journal
        clock.advance(Span(milliseconds: Retention.journalLifetime.milliseconds - 60_000))
        _ = try services.runtime.purge()
        #expect(store.snapshot.journal == before)
        clock.advance(.minutes(2))
        _ = try services.runtime.purge()
        #expect(store.snapshot.journal.isEmpty)
    }
}
