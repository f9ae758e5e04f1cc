import Foundation
import Testing
@testable import Host

/// `bench` with tiny counts: every measurement runs and lands in the table and the JSON line. No
/// timing is asserted (speed is what the bench reports, not what tests check).
@Suite struct BenchTests {
    static let turnKeys = ["turn_ms_p50", "turn_ms_p99", "turn_ratio_p50", "turn_ratio_p99", "turn_overhead_server_ms_p99", "turn_overhead_client_ms_p99"]
    static let keys = ["core_reducer_steps_per_s", "simulator_bookings_per_min"] + turnKeys + turnKeys.map { $0 + "_calendly_5ms" }
        + ["webhook_ingest_per_s_c2", "health_per_s_c2", "webhook_ratio_c2", "offers_per_s_c2", "offers_ms_p50_c2", "offers_ms_p99_c2", "offers_lost_c2",
           "http_client_per_s_1", "http_client_per_s_32",
           "scale_turn_ms_p50_10", "scale_turn_ms_p99_10", "scale_turn_ms_p50_50", "scale_turn_ms_p99_50", "scale_turn_p99_growth", "db_bytes_per_100k_conversations",
           "serve_rss_mib_idle_20", "retention_db_share_kept",
           "idle_conversation_stored_bytes", "idle_conversation_rss_bytes", "replay_steps_per_s", "sqlite_step_writes_per_s", "sqlite_synced_step_writes_per_s"]

    @Test func everyMeasurementIsReported() async throws {
        let report = try await Bench.run(.tiny)
        #expect(report.rows.map(\.key) == Self.keys)
        for row in report.rows {
            #expect(report.table.contains(row.name), "\(row.key) missing from the table")
            #expect(row.value.isFinite && row.value >= 0, "\(row.key) = \(row.value)")
        }
        // The host pieces really ran: both turns of both conversations, every webhook accepted.
        #expect(report.rows.first { $0.key == "turn_ms_p50" }?.detail.hasPrefix("4 turns;") == true)
        #expect(report.rows.first { $0.key == "turn_ms_p50_calendly_5ms" }?.detail.hasPrefix("2 turns;") == true)
        // With Calendly's latency injected, every turn took at least that long inside Calendly.
        #expect((report.rows.first { $0.key == "turn_ms_p50_calendly_5ms" }?.value ?? 0) >= 5)
        // wrk-driven rows: measured when wrk is installed (CI installs it), said plainly when it is not.
        let ingest = try #require(report.rows.first { $0.key == "webhook_ingest_per_s_c2" })
        if Wrk.locate() != nil {
            // Every delivery wrk got an answer for was a new one, stored before its 2xx.
            let words = ingest.detail.split(separator: " ")
            let answered = Int(words[0]) ?? -1, stored = Int(words[words.firstIndex(of: "deliveries").map { $0 - 1 } ?? 0]) ?? -2
            #expect(answered > 0 && stored >= answered, "\(ingest.detail)")
            #expect(report.rows.first { $0.key == "offers_lost_c2" }?.value == 0)
            #expect(report.rows.first { $0.key == "webhook_ratio_c2" }?.detail.contains("generator ceiling") == true)
        } else {
            #expect(ingest.detail.contains("wrk not found"))
        }
        // The scaling turns ran on seeded stores.
        #expect(report.rows.first { $0.key == "scale_turn_ms_p50_50" }?.detail.hasPrefix("2 turns") == true)
        let replay = report.rows.first { $0.key == "replay_steps_per_s" }?.detail.split(separator: " ") ?? []
        #expect(replay.count == 4 && replay[0] == replay[2].dropLast(0) && replay[1] == "steps,", "\(replay)")
        let json = try #require(try JSONSerialization.jsonObject(with: Data(report.jsonLine.utf8)) as? [String: Any])
        #expect(json["mode"] as? String == "tiny")
        for key in Self.keys { #expect(json[key] is NSNumber, "\(key) missing from the JSON line") }
        #expect(!report.jsonLine.contains("\n"))
    }

    @Test func goalsAreShownBesideTheFigures() {
        let report = BenchReport(mode: "x", rows: [
            BenchRow(key: "a", name: "met", value: 2, unit: "×", detail: "", goal: .atMost(2.5)),
            BenchRow(key: "b", name: "missed", value: 0.2, unit: "×", detail: "", goal: .atLeast(0.5)),
        ])
        let lines = report.table.split(separator: "\n")
        #expect(lines[1].contains("≤ 2.500 ✓") && lines[2].contains("≥ 0.500 ✗"))
    }
}
