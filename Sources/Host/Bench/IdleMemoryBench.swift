import Core
import Effects
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Memory per idle conversation (slots shown, waiting on the customer): the bytes of its state as the
/// SQLite store keeps it (sorted-key JSON), and the resident-memory growth per state held in memory.
enum IdleMemoryBench {
    static func run(states count: Int) -> [BenchRow] {
        let readiness = BenchFixtures.setup()
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let sample = BenchFixtures.idleConversation("bench:conv-sample", readiness: readiness)
        let stored = (try? encoder.encode(sample).count) ?? 0

        releaseFreedMemory()
        let before = residentBytes()
        var held: [ConversationID: BookingConversation] = [:]
        held.reserveCapacity(count)
        for index in 0..<count {
            let id = ConversationID("bench:conv-\(index)")
            // Decoded from the stored form, as a loaded conversation would be (no shared copy-on-write storage).
            let state = BenchFixtures.idleConversation(id, readiness: readiness)
            held[id] = (try? JSONDecoder().decode(BookingConversation.self, from: encoder.encode(state))) ?? state
        }
        let after = residentBytes()
        let perState = count > 0 ? Double(max(0, after - before)) / Double(count) : 0
        withExtendedLifetime(held) {}
        return [
            BenchRow(key: "idle_conversation_stored_bytes", name: "idle conversation, stored", value: Double(stored), unit: "bytes",
                     detail: "encoded state (slots shown, 10 slots)", goal: .atMost(2048)),
            BenchRow(key: "idle_conversation_rss_bytes", name: "idle conversation, in memory", value: perState, unit: "bytes",
                     detail: "RSS growth over \(count) states held decoded", goal: .atMost(2048)),
        ]
    }

    /// Hands the allocator's free pages back (glibc `malloc_trim`, looked up at run time: Swift's Glibc
    /// module does not import malloc.h), so the earlier measurements' garbage cannot absorb this one's growth.
    static func releaseFreedMemory() {
        #if canImport(Glibc)
        typealias Trim = @convention(c) (Int) -> Int32
        if let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "malloc_trim") {
            _ = unsafeBitCast(symbol, to: Trim.self)(0)
        }
        #endif
    }

    /// Resident set size from /proc/self/statm (0 where unavailable).
    static func residentBytes() -> Int {
        guard let text = try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8) else { return 0 }
        let fields = text.split(separator: " ")
        guard fields.count > 1, let pages = Int(fields[1]) else { return 0 }
        #if canImport(Glibc)
        return pages * Int(sysconf(Int32(_SC_PAGESIZE)))
        #else
        return pages * 4096
        #endif
    }
}
