import Core
import Effects
import Foundation
import Interpreters

/// SQLite: durable runtime step writes per second — one transaction (state + journal row, WAL,
/// synchronous=FULL) per step, as `LiveRuntime` commits them.
enum SQLiteWriteBench {
    static func run(writes: Int, directory: String) throws -> BenchRow {
        let store = try SQLiteStore(path: directory + "/write-bench.sqlite")
        let readiness = BenchFixtures.setup()
        let states = (0..<min(writes, 100)).map { BenchFixtures.idleConversation(ConversationID("bench:conv-\($0)"), readiness: readiness) }
        let payload = Redaction.json(states.first)
        let elapsed = try BenchClock.measure {
            for index in 0..<writes {
                let state = states[index % states.count]
                try store.transaction { tx in
                    try tx.saveConversation(state)
                    try tx.appendJournal(stream: "conversation:\(state.id)", at: BenchFixtures.start, kind: "conversation", payload: payload)
                }
            }
        }
        return BenchRow(key: "sqlite_step_writes_per_s", name: "SQLite durable step writes", value: Double(writes) / max(elapsed, 1e-9), unit: "writes/s",
                        detail: "\(writes) transactions (state + journal row, synchronous=FULL)", goal: nil)
    }
}
