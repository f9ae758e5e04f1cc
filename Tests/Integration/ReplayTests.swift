import Core
import Effects
import Foundation
import Interpreters
import Testing
@testable import Host

/// The journal the runtime writes replays through the current core to the same effects, and a
/// change in behaviour shows up as a divergence.
@Suite struct ReplayTests {
    static func journal(_ harness: HostHarness) async throws -> [JournalRecord] {
        try await harness.application.test(.router) { client in
            try await HostRoutesTests.connectAndConfigure(client)
            let offer = #"{"agentId":"agent-1","channel":"text","timeZone":"Asia/Jakarta"}"#
            _ = try await client.call(.post, "/v1/conversations/conv-7/booking/offer", token: HostRoutesTests.runtime, json: offer)
            _ = try await client.call(.post, "/v1/conversations/conv-7/booking/reply", token: HostRoutesTests.runtime, json: #"{"text":"2"}"#)
            _ = try await client.call(.post, "/v1/conversations/conv-7/booking/reply", token: HostRoutesTests.runtime, json: #"{"text":"Dee.Customer@Example.COM"}"#)
        }
        let entries = harness.store.snapshot.journal
        return try entries.enumerated().map { index, entry in
            var record = try JournalFormat.record(line: entry.payload)
            record.seq = index + 1
            return record
        }
    }

    @Test func journaledStepsReplayToTheRecordedEffects() async throws {
        let records = try await Self.journal(HostHarness())
        #expect(records.contains { $0.aggregate == .conversation } && records.contains { $0.aggregate == .connection } && records.contains { $0.aggregate == .config })
        let steps = try Replayer.replay(records)
        #expect(steps.count == records.count)
        for step in steps { #expect(step.matches, "step \(step.seq) diverged: \(step.effects) vs \(step.recordedEffects)") }
        #expect(steps.last { $0.aggregate == .conversation }?.phaseAfter == "confirmed")
        // The booking's reference steps replay too: the intent recorded, then settled as created.
        #expect(steps.filter { $0.aggregate == .reference }.map(\.phaseAfter) == ["pending", "created"])
        // Secrets and customer data are not in the journal.
        let text = records.map { $0.input.json + $0.effects.map(\.json).joined() + $0.stateBefore.json }.joined()
        #expect(!text.lowercased().contains("dee.customer"))
        #expect(!text.contains("code=abc") && !text.contains(#""code":"abc""#))
    }

    @Test func aChangedRecordIsReportedAsADivergence() async throws {
        var records = try await Self.journal(HostHarness())
        let index = try #require(records.lastIndex { $0.aggregate == .conversation })
        records[index].effects = []
        let steps = try Replayer.replay(records)
        #expect(steps.first { !$0.matches }?.seq == records[index].seq)
    }

    @Test func replayStartsAtAnyRecordAndRefusesUnknownVersions() async throws {
        let records = try await Self.journal(HostHarness())
        let tail = Array(records.suffix(3))
        #expect(try Replayer.replay(tail).allSatisfy(\.matches))
        let header = #"{"format":"calendly-action-journal","version":99,"reducerVersion":1,"exportedAt":"2026-11-25T00:00:00Z"}"#
        #expect(throws: Replayer.Failure.unsupportedVersion(99)) { try Replayer.parse(header + "\n") }
    }

    /// The header says which reducer recorded the journal, so `replay` can say a divergence may be intended.
    @Test func theHeaderTellsTheRecordingReducerVersion() {
        let old = #"{"format":"calendly-action-journal","version":1,"reducerVersion":1,"exportedAt":"2026-11-25T00:00:00Z"}"#
        #expect(Replayer.header(of: old + "\n")?.reducerVersion == 1)
        #expect(Replayer.header(of: #"{"format":"something-else","version":1,"reducerVersion":1,"exportedAt":"2026-11-25T00:00:00Z"}"#) == nil)
        #expect(Replayer.header(of: "") == nil)
    }
}
