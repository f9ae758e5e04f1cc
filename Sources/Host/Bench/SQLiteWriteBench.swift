import Core
import Effects
import Foundation
import Interpreters

/// SQLite: runtime step writes per second — one transaction (state + journal row, WAL) per step, as
/// `LiveRuntime` commits them: plain steps (in the OS before COMMIT returns: survive kill -9) and
/// steps before a Calendly-changing call (fsynced: survive power loss too).
enum SQLiteWriteBench {
    static func run(writes: Int, directory: String) throws -> [BenchRow] {
        let store = try SQLiteStore(path: directory + "/write-bench.sqlite")
        let readiness = BenchFixtures.setup()
        let states = (0..<min(writes, 100)).map { BenchFixtures.idleConversation(ConversationID("bench:conv-\($0)"), readiness: readiness) }
        let payload = Redaction.json(states.first)
        func measure(synced: Bool) throws -> Double {
            let elapsed = try BenchClock.measure {
                for index in 0..<writes {
                    let state = states[index % states.count]
                    try store.transaction { tx in
                        try tx.saveConversation(state)
                        try tx.appendJournal(stream: "conversation:\(state.id)", at: BenchFixtures.start, kind: "conversation", payload: payload)
                        if synced { tx.requireSyncedCommit() }
                    }
                }
            }
            return Double(writes) / max(elapsed, 1e-9)
        }
        return [
            BenchRow(key: "sqlite_step_writes_per_s", name: "SQLite step writes", value: try measure(synced: false), unit: "writes/s",
                     detail: "\(writes) transactions (state + journal row; WAL, synchronous=NORMAL)", goal: nil),
            BenchRow(key: "sqlite_synced_step_writes_per_s", name: "SQLite synced step writes", value: try measure(synced: true), unit: "writes/s",
                     detail: "\(writes) transactions + WAL fsync (steps before a Calendly-changing call)", goal: nil),
        ]
    }
}
