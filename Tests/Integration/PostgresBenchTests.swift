import Foundation
import Testing
@testable import Host
@testable import PostgresStore

/// `bench` with `DATABASE_URL` (issue 13): the runtime turns and the webhook ingest also run on a host
/// whose store is PostgreSQL, keyed `…_postgres` beside SQLite's rows. No timing is asserted.
@Suite struct PostgresBenchTests {
    @Test func theRuntimeTurnsAndWebhookIngestRunOnPostgresToo() async throws {
        guard let url = try PostgresTestDatabase.url() else { return }
        let directory = NSTemporaryDirectory() + "pg-bench-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let rows = try await Bench.onPostgres(url, .tiny, wrk: Wrk.locate(), directory: directory)
        let keys = rows.map(\.key)
        #expect(keys.contains("turn_ms_p50_postgres") && keys.contains("webhook_ingest_per_s_c2_postgres"), "\(keys)")
        #expect(rows.allSatisfy { $0.key.hasSuffix("_postgres") && $0.name.hasSuffix("[PostgreSQL]") && $0.goal == nil })
        #expect(rows.allSatisfy { $0.value.isFinite && $0.value >= 0 })
        // Both turns of both conversations ran end to end on PostgreSQL.
        #expect(rows.first { $0.key == "turn_ms_p50_postgres" }?.detail.hasPrefix("4 turns;") == true, "\(rows.first { $0.key == "turn_ms_p50_postgres" }?.detail ?? "")")
        if Wrk.locate() != nil {
            let ingest = try #require(rows.first { $0.key == "webhook_ingest_per_s_c2_postgres" })
            let words = ingest.detail.split(separator: " ")
            let answered = Int(words[0]) ?? -1, stored = Int(words[words.firstIndex(of: "deliveries").map { $0 - 1 } ?? 0]) ?? -2
            #expect(answered > 0 && stored >= answered, "every answered delivery was stored in PostgreSQL: \(ingest.detail)")
        }
    }
}
