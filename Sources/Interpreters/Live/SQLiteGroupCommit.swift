import CSQLite
import Dispatch
import Synchronization

/// One caller of `SQLiteStore.groupTransaction`. `apply` runs its body inside the shared transaction
/// and returns the body's error, if any; `finish` answers the caller once the batch's fate is known.
struct SQLiteGroupWork: Sendable {
    let apply: @Sendable (inout SQLiteTransaction) -> (any Error)?
    /// nil: the batch committed and the caller gets its body's value; an error: the caller gets that.
    let finish: @Sendable ((any Error)?) -> Void
}

/// Callers waiting for a batch, and whether a drain is running (it takes them all in turn).
struct SQLiteGroupQueue: Sendable {
    var pending: [SQLiteGroupWork] = []
    var draining = false
}

/// Holds a body's value between the shared transaction and the commit that makes it true.
final class SQLiteGroupResult<T: Sendable>: Sendable {
    private let value = Mutex<Result<T, any Error>?>(nil)
    func set(_ result: Result<T, any Error>) { value.withLock { $0 = result } }
    /// Always set by the time a caller is answered (`apply` ran); the error only guards that rule.
    func take() -> Result<T, any Error> {
        value.withLock { $0 } ?? .failure(SQLiteError(code: SQLITE_MISUSE, message: "answered before its body ran", operation: "group commit"))
    }
}

/// Group commit (issue 16). Concurrent callers — webhook deliveries — share one `BEGIN IMMEDIATE` …
/// `COMMIT` and one fsync of the WAL: the batch commits under `synchronous=FULL`, so every caller it
/// answers survives power loss, not only a crash, for one fsync instead of one per caller. Each body
/// runs in a SAVEPOINT of its own: one that throws (or whose statement failed) is rolled back alone and
/// gets its error; the others commit. Nobody is answered before the COMMIT returned, so a crash
/// mid-batch loses only callers still waiting for their answer.
///
/// Batches form by themselves: while one batch runs, new callers queue and the next batch takes them
/// all (up to `maxBatch`). A batch stops taking bodies after `budget`, which bounds a caller's wait to
/// about two budgets plus one fsync; no one waits for company — a lone caller commits at once.
extension SQLiteStore {
    static let maxBatch = 256
    static let budget: Duration = .milliseconds(2)

    public func groupTransaction<T: Sendable>(_ body: @escaping @Sendable (inout SQLiteTransaction) throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<T, any Error>) in
            let result = SQLiteGroupResult<T>()
            let work = SQLiteGroupWork(
                apply: { tx in
                    do { result.set(.success(try body(&tx))); return nil } catch {
                        result.set(.failure(error))
                        return error
                    }
                },
                finish: { failure in
                    if let failure { continuation.resume(throwing: failure) } else { continuation.resume(with: result.take()) }
                })
            let lead = groupQueue.withLock { queue in
                queue.pending.append(work)
                guard !queue.draining else { return false }
                queue.draining = true
                return true
            }
            // The batch blocks in fsync: on a thread of its own, never on one of the few threads that run
            // every request's async work (a blocked cooperative thread is a core's worth of requests stalled).
            if lead { groupThread.async { [self] in drainGroup() } }
        }
    }

    /// Runs batches until nobody waits. Callers queue while a batch commits, so the next batch takes them all.
    func drainGroup() {
        while true {
            let batch = groupQueue.withLock { queue -> [SQLiteGroupWork] in
                let taken = Array(queue.pending.prefix(Self.maxBatch))
                queue.pending.removeFirst(taken.count)
                if taken.isEmpty { queue.draining = false }
                return taken
            }
            guard !batch.isEmpty else { return }
            let answered = commitBatch(batch)
            if answered < batch.count {
                groupQueue.withLock { $0.pending.insert(contentsOf: batch[answered...], at: 0) }
            }
        }
    }

    /// One batch: the bodies it had time for, in order, each in its savepoint; then one commit. Returns
    /// how many of `batch` it answered (the rest wait for the next batch).
    func commitBatch(_ batch: [SQLiteGroupWork]) -> Int {
        let clock = ContinuousClock()
        let started = clock.now
        var taken: [(work: SQLiteGroupWork, failure: (any Error)?)] = []
        taken.reserveCapacity(batch.count)
        let failure: (any Error)? = session.withLock { session -> (any Error)? in
            let db = session.db
            do {
                // The safety level cannot change inside a transaction; NORMAL again right after the commit.
                try db.execute("PRAGMA synchronous=FULL")
                defer { try? db.execute("PRAGMA synchronous=NORMAL") }
                try db.begin()
                do {
                    for work in batch {
                        if !taken.isEmpty, clock.now - started > Self.budget { break }
                        try db.run("SAVEPOINT group_call")
                        session.failure = nil
                        var transaction = SQLiteTransaction(session: session)
                        // A DurableState method that failed without throwing left its error in the session.
                        let error = work.apply(&transaction) ?? session.failure
                        session.failure = nil
                        if error != nil { try db.run("ROLLBACK TO group_call") }
                        try db.run("RELEASE group_call")
                        taken.append((work, error))
                    }
                    // Synced anyway: a body that asked for it (`requireSyncedCommit`) is covered by this commit.
                    session.syncRequested = false
                    try db.commit()
                } catch {
                    session.failure = nil
                    session.syncRequested = false
                    if db.isInTransaction { db.rollback() }
                    throw error
                }
                return nil
            } catch {
                return error
            }
        }
        if let failure {
            // Nothing of the batch is on disk: everyone it took is told so; if it failed before taking
            // anyone, the first caller gets the error (so a broken database cannot loop forever).
            if taken.isEmpty, let first = batch.first { first.finish(failure); return 1 }
            for entry in taken { entry.work.finish(failure) }
            return taken.count
        }
        counters.batch(of: taken.count, took: clock.now - started)
        for entry in taken { entry.work.finish(entry.failure) }
        return taken.count
    }
}
