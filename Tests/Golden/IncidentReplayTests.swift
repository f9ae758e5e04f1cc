import Core
import Effects
import Foundation
import Interpreters
import Testing

/// Golden incident replays (issue 5): each committed journal replays through the current core to a
/// byte-identical timeline, with no divergence from the recorded effects (`replay --diff`).
/// `UPDATE_GOLDEN=1` re-records the journals from the real runtime first.
@Suite struct IncidentReplayTests {
    static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Incidents")

    static func url(_ incident: Incident, _ ext: String) -> URL { directory.appendingPathComponent("\(incident.rawValue).\(ext)") }
    /// The same incident as version 1 of the journal format wrote it (kept to prove the migration reader).
    static func version1(_ incident: Incident) -> URL { directory.appendingPathComponent("v1/\(incident.rawValue).jsonl") }

    static func records(_ url: URL) throws -> [JournalRecord] { try Replayer.parse(String(decoding: try Data(contentsOf: url), as: UTF8.self)) }

    static func steps(_ incident: Incident) throws -> [Replayer.Step] { try Replayer.replay(try records(url(incident, "jsonl"))) }

    @Test(arguments: Incident.allCases)
    func replaysToTheCommittedTimelineWithoutDivergence(_ incident: Incident) async throws {
        if Transcript.isRecording {
            try FileManager.default.createDirectory(at: Self.directory, withIntermediateDirectories: true)
            let journal = try await IncidentRecorder.record(incident)
            try Data(journal.utf8).write(to: Self.url(incident, "jsonl"), options: .atomic)
            try Data(Replayer.timeline(try Self.steps(incident)).utf8).write(to: Self.url(incident, "txt"), options: .atomic)
        }
        let steps = try Self.steps(incident)
        #expect(!steps.isEmpty)
        let divergent = steps.first { !$0.matches }
        #expect(divergent == nil, "step \(divergent?.seq ?? 0) diverges: \(JournalTimeline.differences(recorded: divergent?.recordedEffects ?? [], now: divergent?.effects ?? []))")

        let timeline = Replayer.timeline(steps)
        let expected = String(decoding: try Data(contentsOf: Self.url(incident, "txt")), as: UTF8.self)
        if timeline != expected {
            let (now, then) = (timeline.split(separator: "\n", omittingEmptySubsequences: false), expected.split(separator: "\n", omittingEmptySubsequences: false))
            let line = (0..<min(now.count, then.count)).first { now[$0] != then[$0] } ?? min(now.count, then.count)
            Issue.record("timeline differs from \(incident).txt at line \(line + 1):\n  now:      \(line < now.count ? now[line] : "<end>")\n  expected: \(line < then.count ? then[line] : "<end>")")
        }
    }

    /// The version-1 file (Swift's synthesized coding, JSON inside strings) migrates on read to exactly
    /// the records the current format holds, and replays without divergence. (Version-1 recordings predate
    /// journaling booking-reference steps in the conversation's stream, so they hold its conversation steps only.)
    @Test(arguments: Incident.allCases)
    func theVersion1FileMigratesToTheSameRecords(_ incident: Incident) throws {
        let old = try Self.records(Self.version1(incident))
        #expect(old.allSatisfy { $0.version == 1 })
        let new = try Self.records(Self.url(incident, "jsonl")).filter { $0.aggregate == .conversation }
        #expect(new.allSatisfy { $0.version == JournalFormat.version })
        #expect(old.count == new.count && !old.isEmpty)
        for (was, now) in zip(old, new) {
            #expect([was.stream, was.id] == [now.stream, now.id] && was.at == now.at && was.aggregate == now.aggregate)
            // Version 1 predates the 401 notice to the connection (`grantRejected`, issue 11): the only effect it may lack.
            let nowEffects = now.effects.filter { !Self.isGrantRejected($0) }
            #expect(was.input == now.input && was.effects == nowEffects,
                    "#\(was.seq): \(JournalTimeline.differences(recorded: [was.input] + was.effects, now: [now.input] + nowEffects))")
            // The state is the store's own form, which has grown since (e.g. `requestedAt` on an attempt):
            // the old one still seeds a replay.
            #expect(throws: Never.self) { try Replayer.replay([was]) }
        }
        #expect(try Replayer.replay(old).allSatisfy { $0.effects.filter { !Self.isGrantRejected($0) } == $0.recordedEffects })
    }

    /// A journaled `notify` effect carrying `grant_rejected`.
    static func isGrantRejected(_ effect: JournalValue) -> Bool {
        effect["kind"] == "notify" && effect["message"]?["kind"] == "grant_rejected"
    }

    /// An availability reply is stored as runs, not as one timestamp per slot.
    @Test func availableTimesAreStoredCompactly() throws {
        func replyLine(_ url: URL) throws -> Substring {
            let text = String(decoding: try Data(contentsOf: url), as: UTF8.self)
            return try #require(text.split(separator: "\n").first { $0.contains("available_times\",\"count") || $0.contains(#"{\"availableTimes\":{\"_0\":["#) })
        }
        let (now, then) = (try replyLine(Self.url(.slotRace, "jsonl")), try replyLine(Self.version1(.slotRace)))
        #expect(now.utf8.count * 2 < then.utf8.count, "\(now.utf8.count) bytes now, \(then.utf8.count) in version 1")
        let replies = try Self.records(Self.url(.slotRace, "jsonl")).compactMap { $0.input["reply"] }.filter { $0["kind"] == "available_times" }
        #expect(replies.count == 2)
        for reply in replies {
            guard case .int(let count)? = reply["count"], case .array(let runs)? = reply["runs"] else { Issue.record("no runs in \(reply.json)"); continue }
            #expect(count > 100 && runs.count < 20)
        }
    }

    /// The README's incident walk quotes a committed timeline: every quoted line is in it, so the walk
    /// cannot drift from what `replay` prints.
    @Test func theReadmeQuotesTheCommittedTimeline() throws {
        let readme = String(decoding: try Data(contentsOf: Self.directory.deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("README.md")), as: UTF8.self)
        let timeline = String(decoding: try Data(contentsOf: Self.url(.lostBookingResponse, "txt")), as: UTF8.self)
            .split(separator: "\n").map(String.init)
        let section = try #require(readme.components(separatedBy: "## An incident").dropFirst().first)
        let quoted = try #require(section.components(separatedBy: "```text\n").dropFirst().first?.components(separatedBy: "```").first)
        let lines = quoted.split(separator: "\n").map(String.init)
        #expect(lines.count >= 5)
        for line in lines { #expect(timeline.contains(line), "README line not in lost-booking-response.txt: \(line)") }
    }

    static func lastConversationStep(_ steps: [Replayer.Step]) -> Replayer.Step? { steps.last { $0.aggregate == .conversation } }

    static func calls(_ steps: [Replayer.Step], _ name: String) -> Int {
        steps.flatMap(\.produced).filter { if case .calendly(_, let call) = $0 { return call.name == name } else { return false } }.count
    }

    static func emitted(_ effects: [Effect], _ name: String) -> [TelemetryEvent] {
        effects.compactMap { if case .emit(let event) = $0, event.name == name { return event } else { return nil } }
    }

    @Test func theSlotRaceIsReofferedAndThenBooked() throws {
        let steps = try Self.steps(.slotRace)
        let phases = steps.map { "\($0.phaseBefore)→\($0.phaseAfter)" }
        #expect(phases.contains("booking→checkingAvailability"))
        #expect(steps.filter { $0.phaseAfter == "slotsShown" && $0.phaseBefore == "checkingAvailability" }.count == 2)
        #expect(Self.lastConversationStep(steps)?.phaseAfter == "confirmed")
        #expect(!Self.emitted(steps.flatMap(\.produced), "calendly_slot_conflict").isEmpty)
        #expect(Self.calls(steps, "createInvitee") == 2)
    }

    @Test func theLostResponseIsReconciledByLookupWithoutResend() throws {
        let steps = try Self.steps(.lostBookingResponse)
        #expect(Self.calls(steps, "createInvitee") == 1)
        #expect(Self.calls(steps, "findInvitee") == 1)
        #expect(steps.contains { $0.phaseBefore == "booking" && $0.phaseAfter == "reconciling" })
        #expect(Self.lastConversationStep(steps)?.phaseAfter == "confirmed")
        #expect(Self.emitted(steps.flatMap(\.produced), "calendly_booking_failed").isEmpty)
    }

    @Test func theTokenRefreshFailureEndsWithApologyAndStaticLink() throws {
        let steps = try Self.steps(.tokenRefreshFailure)
        let last = try #require(Self.lastConversationStep(steps))
        #expect(last.phaseBefore == "booking" && last.phaseAfter == "staticLink")
        #expect(Self.emitted(last.produced, "calendly_booking_failed").contains { if case .bookingFailed(_, _, "unauthorized", _) = $0 { return true } else { return false } })
        #expect(last.effects.contains { $0.json.contains("https://calendly.com/acme/intro") })
        #expect(Self.calls(steps, "findInvitee") == 0)
        #expect(last.effects.contains(where: Self.isGrantRejected), "the connection is told of the 401 (issue 11)")
    }

    @Test func theIncidentsHoldNoCustomerEmail() throws {
        for incident in Incident.allCases {
            let text = String(decoding: try Data(contentsOf: Self.url(incident, "jsonl")), as: UTF8.self).lowercased()
            #expect(!text.contains("jane.doe") && !text.contains("ops@acme.example") && !text.contains("incident-code"), "\(incident)")
        }
        for incident in Incident.allCases {
            let text = String(decoding: try Data(contentsOf: Self.version1(incident)), as: UTF8.self).lowercased()
            #expect(!text.contains("jane.doe") && !text.contains("ops@acme.example") && !text.contains("incident-code"), "\(incident)")
        }
    }
}
