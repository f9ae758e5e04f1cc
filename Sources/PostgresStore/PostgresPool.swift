import Dispatch
import Logging
import PostgresNIO
import Synchronization

/// A fixed number of connections for blocking transactions. `checkout` waits (on the calling thread) for
/// a free slot, reuses an idle session or opens a new connection; `checkin` returns it, or drops it when
/// the transaction left it unusable. At most `size` connections exist per store — the per-host share of
/// the server's `max_connections`.
final class PostgresPool: Sendable {
    let size: Int
    private let slots: DispatchSemaphore
    private let idle = Mutex<[SessionBox]>([])
    private let nextID = Atomic<Int>(1)
    let configuration: PostgresConnection.Configuration
    let group: any EventLoopGroup
    let logger: Logger
    let lockNamespace: String
    /// This process's name among the hosts sharing the database (`PostgresStore.host`).
    let host: String

    /// A session crosses threads only through the pool, which hands it to one caller at a time.
    final class SessionBox: @unchecked Sendable {
        let session: PostgresSession
        init(_ session: PostgresSession) { self.session = session }
    }

    init(size: Int, configuration: PostgresConnection.Configuration, group: any EventLoopGroup, logger: Logger, lockNamespace: String, host: String) {
        self.host = host
        self.size = max(1, size)
        slots = DispatchSemaphore(value: max(1, size))
        self.configuration = configuration
        self.group = group
        self.logger = logger
        self.lockNamespace = lockNamespace
    }

    /// A connection outside the pool, for a lock held across an `await` (the pool's slots stay free for
    /// the work done under it). The caller closes it.
    func dedicatedConnection() async throws -> PostgresConnection {
        let id = nextID.wrappingAdd(1, ordering: .relaxed).oldValue
        do {
            return try await PostgresConnection.connect(on: group.next(), configuration: configuration, id: id, logger: logger).get()
        } catch {
            throw PostgresStoreError.wrap(error, operation: "connect")
        }
    }

    func checkout() throws -> PostgresSession {
        slots.wait()
        while let box = idle.withLock({ $0.popLast() }) {
            if !box.session.connection.isClosed { return box.session }
        }
        do {
            let id = nextID.wrappingAdd(1, ordering: .relaxed).oldValue
            let connection = try PostgresBlocking.wait(PostgresConnection.connect(on: group.next(), configuration: configuration, id: id, logger: logger))
            return PostgresSession(connection: connection, logger: logger, lockNamespace: lockNamespace, host: host)
        } catch {
            slots.signal()
            throw PostgresStoreError.wrap(error, operation: "connect")
        }
    }

    func checkin(_ session: PostgresSession, usable: Bool) {
        session.failure = nil
        if usable && !session.connection.isClosed {
            idle.withLock { $0.append(SessionBox(session)) }
        } else {
            session.connection.close().whenComplete { _ in }
        }
        slots.signal()
    }

    /// Closes idle connections (a store being discarded; in-flight ones close on checkin).
    func closeIdle() {
        let sessions = idle.withLock { all -> [SessionBox] in
            defer { all.removeAll() }
            return all
        }
        for box in sessions { _ = try? PostgresBlocking.wait(box.session.connection.close()) }
    }
}
