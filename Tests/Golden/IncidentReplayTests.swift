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

    static func steps(_ incident: Incident) throws -> [Replayer.Step] {
        let data = try Data(contentsOf: url(incident, "jsonl"))
        return try Replayer.replay(try Replayer.parse(String(decoding: data, as: UTF8.self)))
    }

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
        #expect(divergent == nil, "step \(divergent?.seq ?? 0) diverges: now \(divergent?.effects ?? []) recorded \(divergent?.recordedEffects ?? [])")

        let timeline = Replayer.timeline(steps)
        let expected = String(decoding: try Data(contentsOf: Self.url(incident, "txt")), as: UTF8.self)
        if timeline != expected {
            let (now, then) = (timeline.split(separator: "\n", omittingEmptySubsequences: false), expected.split(separator: "\n", omittingEmptySubsequences: false))
            let line = (0..<min(now.count, then.count)).first { now[$0] != then[$0] } ?? min(now.count, then.count)
            Issue.record("timeline differs from \(incident).txt at line \(line + 1):\n  now:      \(line < now.count ? now[line] : "<end>")\n  expected: \(line < then.count ? then[line] : "<end>")")
        }
    }

    static func calls(_ steps: [Replayer.Step], _ name: String) -> Int {
        steps.flatMap(\.effects).filter { $0.contains(#""\#(name)":{"#) }.count
    }

    @Test func theSlotRaceIsReofferedAndThenBooked() throws {
        let steps = try Self.steps(.slotRace)
        let phases = steps.map { "\($0.phaseBefore)→\($0.phaseAfter)" }
        #expect(phases.contains("booking→checkingAvailability"))
        #expect(steps.filter { $0.phaseAfter == "slotsShown" && $0.phaseBefore == "checkingAvailability" }.count == 2)
        #expect(steps.last?.phaseAfter == "confirmed")
        #expect(steps.flatMap(\.effects).contains { $0.contains("slotConflict") })
        #expect(Self.calls(steps, "createInvitee") == 2)
    }

    @Test func theLostResponseIsReconciledByLookupWithoutResend() throws {
        let steps = try Self.steps(.lostBookingResponse)
        #expect(Self.calls(steps, "createInvitee") == 1)
        #expect(Self.calls(steps, "findInvitee") == 1)
        #expect(steps.contains { $0.phaseBefore == "booking" && $0.phaseAfter == "reconciling" })
        #expect(steps.last?.phaseAfter == "confirmed")
        #expect(!steps.flatMap(\.effects).contains { $0.contains("bookingFailed") })
    }

    @Test func theTokenRefreshFailureEndsWithApologyAndStaticLink() throws {
        let steps = try Self.steps(.tokenRefreshFailure)
        let last = try #require(steps.last)
        #expect(last.phaseBefore == "booking" && last.phaseAfter == "staticLink")
        #expect(last.effects.contains { $0.contains("bookingFailed") && $0.contains("unauthorized") })
        #expect(last.effects.contains { $0.contains("https://calendly.com/acme/intro") })
        #expect(Self.calls(steps, "findInvitee") == 0)
    }

    @Test func theIncidentsHoldNoCustomerEmail() throws {
        for incident in Incident.allCases {
            let text = String(decoding: try Data(contentsOf: Self.url(incident, "jsonl")), as: UTF8.self).lowercased()
            #expect(!text.contains("jane.doe") && !text.contains("ops@acme.example") && !text.contains("incident-code"), "\(incident)")
        }
    }
}
