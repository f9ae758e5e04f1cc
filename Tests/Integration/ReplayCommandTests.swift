import Foundation
import Interpreters
import Testing

/// `calendly-action replay` as an incident responder runs it: the built binary as a real process on the
/// committed golden incidents (current format and version 1), reading its stdout and exit status.
@Suite struct ReplayCommandTests {
    static let incidents = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Golden/Incidents")

    struct Run { var status: Int32; var stdout: String; var stderr: String }

    static func replay(_ arguments: [String]) throws -> Run {
        let process = Process()
        process.executableURL = try ServeProcess.executable()
        process.arguments = ["replay"] + arguments
        let (out, err) = (Pipe(), Pipe())
        process.standardOutput = out
        process.standardError = err
        try process.run()
        // Read before waiting so a long timeline cannot fill the pipe and stall the child.
        let stdout = out.fileHandleForReading.readDataToEndOfFile()
        let stderr = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Run(status: process.terminationStatus, stdout: String(decoding: stdout, as: UTF8.self), stderr: String(decoding: stderr, as: UTF8.self))
    }

    static func file(_ name: String) -> String { incidents.appendingPathComponent(name).path }

    static func temporary(_ text: String) throws -> String {
        let path = NSTemporaryDirectory() + "replay-\(UUID().uuidString).jsonl"
        try Data(text.utf8).write(to: URL(fileURLWithPath: path))
        return path
    }

    @Test func theDefaultOutputIsTheIncidentTimeline() throws {
        let run = try Self.replay([Self.file("slot-race.jsonl"), "--diff"])
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stdout == String(decoding: try Data(contentsOf: Self.incidents.appendingPathComponent("slot-race.txt")), as: UTF8.self))
        // What came in, in words; the state transition; what went out, as the customer saw it.
        #expect(run.stdout.contains(#"customer wrote "2" = Wed 25 Nov, 10:00 Asia/Jakarta [slotsShown → booking]"#))
        #expect(run.stdout.contains("Calendly answered acme:slot-race/2: failed: slot_unavailable [booking → checkingAvailability]"))
        #expect(run.stdout.contains("│ That time was just taken. Here are the times available now."))
        #expect(run.stdout.contains("→ Calendly createInvitee acme:slot-race/2: key acme:slot-race#1, ET-INTRO at Wed 25 Nov, 10:00 Asia/Jakarta"))
        #expect(!run.stdout.contains("\"_0\""))
    }

    @Test(arguments: ["slot-race", "lost-booking-response", "token-refresh-failure"])
    func aVersion1JournalStillReplays(_ incident: String) throws {
        let run = try Self.replay([Self.file("v1/\(incident).jsonl"), "--diff"])
        if incident == "token-refresh-failure" {
            // Recorded before a 401 told the agent's connection (issue 11): --diff names that one new effect, nothing else.
            let output = run.stdout + run.stderr
            #expect(run.status == 1, "\(output)")
            #expect(output.components(separatedBy: "DIVERGES").count == 2, "\(output)")
            #expect(output.contains(#"recorded (absent), now {"kind":"notify","message":{"kind":"grant_rejected""#), "\(output)")
        } else {
            #expect(run.status == 0, "\(run.stdout)\(run.stderr)")
        }
        #expect(run.stdout.contains("#10 2026-11-25T02:00:00Z conversation acme:\(incident): booking triggered"))
    }

    @Test func jsonIsLabelledAndNested() throws {
        let run = try Self.replay([Self.file("lost-booking-response.jsonl"), "--json"])
        #expect(run.status == 0)
        let lines = run.stdout.split(separator: "\n")
        #expect(lines.count == 7)
        for line in lines {
            let object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
            let input = try #require(object["input"] as? [String: Any], "input is a nested object, not text")
            #expect(input["kind"] is String && object["matches"] as? Bool == true && object["effects"] is [[String: Any]])
        }
        #expect(run.stdout.contains(#""reply":{"kind":"outcome_unknown"}"#))
    }

    @Test func verboseAddsTheFullRecords() throws {
        let run = try Self.replay([Self.file("token-refresh-failure.jsonl"), "--verbose"])
        #expect(run.status == 0)
        #expect(run.stdout.contains(#"    input  {"kind":"customer_replied","at":"2026-11-25T02:00:40Z","text":"1"}"#))
        #expect(run.stdout.contains(#"    effect {"kind":"emit","event":{"kind":"booking_failed""#))
        #expect(run.stdout.contains("    state  {"))
    }

    /// A recorded effect that today's core would not produce: `--diff` exits 1 naming the differing field.
    @Test func diffNamesTheFirstDifferingFieldOfTheFirstDifferingEffect() throws {
        let original = String(decoding: try Data(contentsOf: Self.incidents.appendingPathComponent("slot-race.jsonl")), as: UTF8.self)
        var lines = original.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        let index = try #require(lines.firstIndex { $0.contains(#""customer_replied","at":"2026-11-25T02:00:40Z""#) })
        lines[index] = lines[index].replacingOccurrences(of: #""request":{"event_type":"https://api.calendly.com/event_types/ET-INTRO","start":"2026-11-25T03:00:00Z""#,
                                                         with: #""request":{"event_type":"https://api.calendly.com/event_types/ET-INTRO","start":"2026-11-25T03:30:00Z""#)
        #expect(lines[index].contains("03:30:00Z"))
        let tampered = try Self.temporary(lines.joined(separator: "\n"))
        defer { try? FileManager.default.removeItem(atPath: tampered) }
        let run = try Self.replay([tampered, "--diff"])
        #expect(run.status == 1)
        #expect(run.stdout.contains("DIVERGENCE at #12 (conversation acme:slot-race)"))
        #expect(run.stdout.contains(#"effects[1].call.request.start: recorded "2026-11-25T03:30:00Z", now "2026-11-25T03:00:00Z""#), "\(run.stdout.suffix(600))")
    }

    @Test func anUnknownFormatVersionIsRefusedWithAMessage() throws {
        let path = try Self.temporary(#"{"format":"calendly-action-journal","version":99,"reducer_version":2,"exported_at":"2026-11-25T00:00:00Z"}"# + "\n")
        defer { try? FileManager.default.removeItem(atPath: path) }
        let run = try Self.replay([path])
        #expect(run.status != 0)
        #expect(run.stderr.contains("journal format version 99 is not supported"))
    }
}
