import Core
import Effects
import Interpreters
import Logging

/// What `serve` runs besides requests, each loop on its own schedule, all stopped together. A failed
/// run is logged and the loop goes on: the next run tries again. With several hosts on one database only
/// the holder of the jobs lease runs them (`HostCoordination`); the others look again each `renewEvery`
/// and start at once when they take it over.
struct BackgroundJobs {
    struct Schedule {
        var purgeEvery: Span
        var subscriptionCheckEvery: Span
        var reconcileEvery: Span
        /// Token refresh-ahead (`Connection.tokenCheck`): often enough that a token is refreshed well inside
        /// `Connection.refreshAhead` of its expiry.
        var tokenCheckEvery = Span.minutes(1)
    }

    let tasks: [Task<Void, Never>]

    static func start<Store>(_ assembly: HostAssembly<Store>, logger: Logger, schedule: Schedule) -> BackgroundJobs {
        let coordination = assembly.coordination
        func every(_ span: Span, now first: Bool, _ work: @escaping @Sendable () async throws -> Void, failure: String) -> Task<Void, Never> {
            Task {
                var due = first
                while !Task.isCancelled {
                    if due && !coordination.holdsJobs {
                        try? await Task.sleep(for: .milliseconds(coordination.renewEvery.milliseconds))
                        continue
                    }
                    if due {
                        do { try await work() } catch { logger.error("\(failure)", metadata: ["error": "\(error)"]) }
                    }
                    due = true
                    try? await Task.sleep(for: .milliseconds(span.milliseconds))
                }
            }
        }
        return BackgroundJobs(tasks: [
            // The leases (issue 13): this host's own, and the jobs lease when it is free. The holder resumes
            // the conversations whose host died while they waited on Calendly.
            Task {
                while !Task.isCancelled {
                    try? await Task.sleep(for: .milliseconds(coordination.renewEvery.milliseconds))
                    if Task.isCancelled { break }
                    guard coordination.renew() else { continue }
                    do {
                        let resumed = try await assembly.recover(atStart: false)
                        if resumed > 0 { logger.notice("resumed conversations of a host that stopped", metadata: ["count": "\(resumed)"]) }
                    } catch { logger.error("resuming conversations failed", metadata: ["error": "\(error)"]) }
                }
            },
            // Retention (PRD §12): at start and then on schedule.
            every(schedule.purgeEvery, now: true, {
                let report = try await assembly.purge()
                logger.info("\(report)")
            }, failure: "retention run failed"),
            // Calendly disables a subscription after 24 h of failed deliveries; whatever was missed while it
            // was gone (or while this process was down) comes back through a full reconciliation.
            every(schedule.subscriptionCheckEvery, now: true, {
                do { try await assembly.checkSubscriptions() } catch { logger.error("webhook subscription check failed", metadata: ["error": "\(error)"]) }
                try await assembly.reconcile(.all)
            }, failure: "reconciliation failed"),
            // Bookings still unconfirmed after `BookingReconciliation.staleAfter` are looked up in between.
            every(schedule.reconcileEvery, now: false, { try await assembly.reconcile(.stale) }, failure: "reconciliation failed"),
            // Every connected agent's token is refreshed ahead of its expiry (the core decides which are due;
            // a quiet run writes nothing). At start too: the process may have been down past an expiry.
            every(schedule.tokenCheckEvery, now: true, { try await assembly.services.runtime.checkTokens() }, failure: "token check failed"),
        ] + durableOutboxJobs(assembly, every))
    }

    /// Issue 11: durable timers that fell due (after a restart, or one the in-process wake-up missed) fire
    /// within a second; with `MESSAGE_CALLBACK_URL`, the outbox's deliverer runs (it polls once a second too).
    static func durableOutboxJobs<Store>(_ assembly: HostAssembly<Store>,
                                         _ every: (Span, Bool, @escaping @Sendable () async throws -> Void, String) -> Task<Void, Never>) -> [Task<Void, Never>] {
        var tasks = [every(.seconds(1), true, { _ = try await assembly.services.runtime.fireDueTimers() }, "firing due timers failed")]
        if let callback = assembly.callback { tasks.append(deliverWhileHoldingJobs(callback, assembly.coordination)) }
        return tasks
    }

    /// The deliverer POSTs only while this host holds the jobs lease (so one host POSTs the outbox, in
    /// order); it looks again on every tick, so a host that loses the lease while alive stops at once.
    static func deliverWhileHoldingJobs<Store>(_ callback: MessageCallback<Store>, _ coordination: any HostCoordination) -> Task<Void, Never> {
        Task { await callback.run(while: { coordination.holdsJobs }) }
    }

    func cancel() {
        for task in tasks { task.cancel() }
    }
}
