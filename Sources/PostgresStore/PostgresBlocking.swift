import Dispatch
import NIOCore
import Synchronization

/// The bridge from postgres-nio's futures to `TransactionalStore`'s synchronous `transaction`.
///
/// The calling thread waits on a semaphore while the connection's own event loop (a thread of the store's
/// private `MultiThreadedEventLoopGroup`) does the I/O and completes the future. No Swift-concurrency task is
/// involved, so a caller on the cooperative pool can never wait for work that needs a cooperative thread —
/// the deadlock that bridging `async` through a semaphore invites. The one forbidden caller is one of the
/// store's own event loops: that would wait for itself, so it is refused (`wrongThread`).
enum PostgresBlocking {
    static func wait<T: Sendable>(_ future: EventLoopFuture<T>) throws -> T {
        if future.eventLoop.inEventLoop { throw PostgresStoreError.wrongThread }
        let done = DispatchSemaphore(value: 0)
        let box = Mutex<Result<T, any Error>?>(nil)
        future.whenComplete { result in
            box.withLock { $0 = result }
            done.signal()
        }
        done.wait()
        guard let result = box.withLock({ $0 }) else { throw PostgresStoreError.wrongThread }
        return try result.get()
    }
}
