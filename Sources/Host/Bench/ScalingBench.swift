import Core
import Effects
import Foundation
import Interpreters
#if canImport(Glibc)
import Glibc
#endif

/// How cost grows with what is stored (issue 16): runtime turns with 1k … 1M conversations and booking
/// references already in the SQLite file, the bytes they take, `serve`'s resident memory with 100k idle
/// conversations, and what retention takes back. The store is seeded directly through its own API
/// (`saveConversation`, `putReference`) in one transaction — the rows are the ones a turn would write.
enum ScalingBench {
    struct Outcome {
        var rows: [BenchRow]
        /// The journal rows of one real two-turn conversation (kind, payload): the retention figure ages copies of them.
        var journalTemplate: [(kind: String, payload: String)]
    }

    static func run(sizes: [Int], turns: Int, directory: String, progress: (String) -> Void) async throws -> Outcome {
        var rows: [BenchRow] = []
        var p99s: [(size: Int, p99: Double)] = []
        var template: [(kind: String, payload: String)] = []
        var bytesPer100k: (bytes: Double, size: Int, seconds: Double)?
        for size in sizes {
            progress("scaling: seeding \(size) conversations + booking references")
            let folder = directory + "/scale-\(size)"
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(atPath: folder) }
            let host = try await BenchHost.start(directory: folder)
            let client = BenchHTTPClient(connections: 2)
            do {
                let empty = try liveBytes(host.store.path)
                let seconds = try BenchClock.measure { try seed(host.store, conversations: size, references: true, journal: []) }
                let seeded = try liveBytes(host.store.path) - empty
                if size > 0 { bytesPer100k = (Double(seeded) / Double(size) * 100_000, size, seconds) }
                try await host.connectAndConfigure(client)
                progress("scaling: \(turns) conversations' turns with \(size) stored")
                let samples = try await TurnRatioBench.measure(host: host, client: client, conversations: turns, calendlyLatencyMs: 0, tag: "-s\(size)")
                if template.isEmpty { template = try journalRows(host.store.path, stream: "conversation:bench:bench-turn-s\(size)-0") }
                let p50 = BenchClock.percentile(samples.turns, 0.5) * 1000, p99 = BenchClock.percentile(samples.turns, 0.99) * 1000
                p99s.append((size, p99))
                let label = count(size)
                rows.append(BenchRow(key: "scale_turn_ms_p50_\(label)", name: "turn p50, \(label) stored", value: p50, unit: "ms",
                                     detail: "\(samples.turns.count) turns (emulator as is)\(samples.unexpected > 0 ? ", \(samples.unexpected) unexpected" : ""); seeded in \(BenchRow.format(seconds)) s", goal: nil))
                rows.append(BenchRow(key: "scale_turn_ms_p99_\(label)", name: "turn p99, \(label) stored", value: p99, unit: "ms",
                                     detail: "server-side overhead p99 \(TurnRatioBench.ms(samples.serverOverhead, 0.99)) ms", goal: nil))
            } catch {
                await host.stop()
                throw error
            }
            await host.stop()
        }
        if let first = p99s.first, let last = p99s.last, p99s.count > 1 {
            let growth = first.p99 > 0 ? last.p99 / first.p99 : 0
            rows.append(BenchRow(key: "scale_turn_p99_growth", name: "turn p99 growth, \(count(first.size)) → \(count(last.size)) stored", value: growth, unit: "×",
                                 detail: "p99 \(BenchRow.format(first.p99)) → \(BenchRow.format(last.p99)) ms", goal: .atMost(1.2)))
        }
        if let bytesPer100k {
            rows.append(BenchRow(key: "db_bytes_per_100k_conversations", name: "database per 100k conversations + references", value: bytesPer100k.bytes / 1_048_576,
                                 unit: "MiB", detail: "live pages after seeding \(count(bytesPer100k.size)) idle conversations and booking references", goal: nil))
        }
        return Outcome(rows: rows, journalTemplate: template)
    }

    /// `serve` (the real process, demo mode) over a data directory holding `conversations` idle ones, and
    /// over an empty one; then retention over the same file, with every conversation's journal 91 days old.
    static func idleServeAndRetention(conversations: Int, journalTemplate: [(kind: String, payload: String)], directory: String,
                                      progress: (String) -> Void) async throws -> [BenchRow] {
        let folder = directory + "/idle", emptyFolder = directory + "/idle-empty"
        for path in [folder, emptyFolder] { try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true) }
        defer { for path in [folder, emptyFolder] { try? FileManager.default.removeItem(atPath: path) } }
        progress("idle serve: seeding \(conversations) idle conversations with 91-day-old journals")
        let path = folder + "/calendly-action.sqlite"
        do {
            let store = try SQLiteStore(path: path)
            try seed(store, conversations: conversations, references: false, journal: journalTemplate)
        }
        let before = try liveBytes(path)
        let journalRows = conversations * journalTemplate.count
        var rows: [BenchRow] = []
        progress("idle serve: resident memory of serve")
        let idle = try await ServeRSS.measure(dataDirectory: folder)
        let empty = try await ServeRSS.measure(dataDirectory: emptyFolder)
        rows.append(BenchRow(key: "serve_rss_mib_idle_\(count(conversations))", name: "serve RSS, \(count(conversations)) idle conversations",
                             value: Double(idle.bytes) / 1_048_576, unit: "MiB",
                             detail: idle.note ?? "empty data directory: \(BenchRow.format(Double(empty.bytes) / 1_048_576)) MiB (demo mode, after start-up and /health)",
                             goal: nil))
        // Retention: `serve` ran one at start; run it once more in process (the same `purge`) and compare live pages.
        progress("retention")
        let host = try await BenchHost.start(directory: folder)
        _ = try await host.assembly.purge()
        await host.stop()
        let after = try liveBytes(path)
        rows.append(BenchRow(key: "retention_db_share_kept", name: "retention: database kept after 90 days", value: before > 0 ? Double(after) / Double(before) : 0,
                             unit: "×", detail: "\(count(conversations)) conversations + \(journalRows) journal rows aged 91 days: \(mib(before)) → \(mib(after)) MiB live "
                                 + "(journal after 90 days, references after 24 months, deliveries, failures; conversation states are kept)", goal: nil))
        return rows
    }

    /// Writes `conversations` idle conversations (slots shown, as `BenchFixtures`), optionally each with a
    /// confirmed booking reference and copies of `journal` rows dated 91 days ago, in one transaction.
    static func seed(_ store: SQLiteStore, conversations: Int, references: Bool, journal: [(kind: String, payload: String)]) throws {
        let readiness = BenchFixtures.setup()
        let start = BenchFixtures.start
        let aged = LiveCalendly.wallClock() - .days(91)
        let template = BenchFixtures.idleConversation("bench:seed-template", readiness: readiness)
        try store.transaction { tx in
            for index in 0..<conversations {
                let id = ConversationID("bench:seed-\(index)")
                var state = template
                state.id = id
                try tx.saveConversation(state)
                if references {
                    var reference: BookingReference?
                    let key = BookingKey(rawValue: "seed-\(index)")
                    let slot = start + .days(2) + .minutes(30) * Int64(index % 20_000)
                    let email = "seed.\(index)@example.com"
                    _ = BookingReference.reduce(&reference, .intentRecorded(BookingIntent(key: key, agent: BenchFixtures.agent, conversation: id,
                                                                                           eventType: BenchFixtures.intro.uri, start: slot, email: email, recordedAt: start)))
                    let event = "https://api.calendly.com/scheduled_events/SEED\(index)"
                    let invitee = Invitee(uri: CalendlyURI(event + "/invitees/SEED\(index)"), eventURI: CalendlyURI(event), email: email, start: slot,
                                          cancelURL: "https://calendly.com/cancellations/SEED\(index)", rescheduleURL: "https://calendly.com/reschedulings/SEED\(index)")
                    _ = BookingReference.reduce(&reference, .intentSettled(.booked(invitee), at: start))
                    if let reference { tx.putReference(reference) }
                }
                for row in journal {
                    try tx.appendJournal(stream: "conversation:\(id)", at: aged, kind: row.kind, payload: row.payload)
                }
            }
        }
    }

    /// Bytes in use in the database (pages minus free pages), read on a second connection (sees the WAL).
    static func liveBytes(_ path: String) throws -> Int {
        let db = try Database(path: path, readOnly: true)
        let pages = try db.scalarInt("PRAGMA page_count") ?? 0, free = try db.scalarInt("PRAGMA freelist_count") ?? 0
        let size = try db.scalarInt("PRAGMA page_size") ?? 4096
        let (live, overflow) = max(0, pages - free).multipliedReportingOverflow(by: size)
        return overflow ? Int.max : Int(live)
    }

    static func journalRows(_ path: String, stream: String) throws -> [(kind: String, payload: String)] {
        let db = try Database(path: path, readOnly: true)
        return try db.rows("SELECT kind, payload FROM journal WHERE stream = ? ORDER BY seq", [.text(stream)]) { row -> (kind: String, payload: String) in
            (kind: row.text(0) ?? "", payload: row.text(1) ?? "")
        }
    }

    static func count(_ size: Int) -> String {
        size >= 1_000_000 && size % 1_000_000 == 0 ? "\(size / 1_000_000)M" : size >= 1_000 && size % 1_000 == 0 ? "\(size / 1_000)k" : "\(size)"
    }

    static func mib(_ bytes: Int) -> String { BenchRow.format(Double(bytes) / 1_048_576) }
}
