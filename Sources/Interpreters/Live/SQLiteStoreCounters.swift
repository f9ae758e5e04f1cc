import Synchronization

/// What a `SQLiteStore` did, counted since it opened (issue 16: transactions and fsyncs per runtime
/// turn and per webhook, read by tests and the bench; cheap enough to stay on in production).
public final class SQLiteStoreCounters: Sendable {
    public struct Snapshot: Sendable, Equatable {
        /// Committed transactions, reads included (each is a `BEGIN IMMEDIATE`); a group-commit batch counts once.
        public var commits = 0
        /// Commits that fsynced the WAL: synced steps' barriers and group-commit batches. Checkpoints
        /// (SQLite's own, every ~1000 pages) are not counted.
        public var fsyncs = 0
        /// Group-commit batches, and the callers they answered (committed or rolled back alone).
        public var batches = 0
        public var batchedCalls = 0
        /// The largest batch so far.
        public var largestBatch = 0
        /// Wall time the batch thread spent in batches, fsync included (nanoseconds): near the run's
        /// length, the serial batch thread is what limits ingest.
        public var batchBusyNanoseconds: Int64 = 0
    }

    private let state = Mutex(Snapshot())

    public var snapshot: Snapshot { state.withLock { $0 } }

    func committed(fsynced: Bool) {
        state.withLock { $0.commits += 1; if fsynced { $0.fsyncs += 1 } }
    }

    func batch(of calls: Int, took: Duration) {
        let nanoseconds = took.components.seconds * 1_000_000_000 + took.components.attoseconds / 1_000_000_000
        state.withLock {
            $0.commits += 1; $0.fsyncs += 1; $0.batches += 1; $0.batchedCalls += calls
            $0.batchBusyNanoseconds += nanoseconds
            $0.largestBatch = max($0.largestBatch, calls)
        }
    }
}
