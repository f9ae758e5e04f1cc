import Core
import Effects
import Logging

/// What `serve` runs besides requests, each loop on its own schedule, all stopped together. A failed
/// run is logged and the loop goes on: the next run tries again.
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

    static func start(_ assembly: HostAssembly, logger: Logger, schedule: Schedule) -> BackgroundJobs {
        func every(_ span: Span, now first: Bool, _ work: @escaping @Sendable () async throws -> Void, failure: String) -> Task<Void, Never> {
            Task {
                var due = first
                while !Task.isCancelled {
                    if due {
                        do { try await work() } catch { logger.error("\(failure)", metadata: ["error": "\(error)"]) }
                    }
                    due = true
                    try? await Task.sleep(for: .milliseconds(span.milliseconds))
                }
            }
        }
        return BackgroundJobs(tasks: [
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
    static func durableOutboxJobs(_ assembly: HostAssembly,
                                  _ every: (Span, Bool, @escaping @Sendable () async throws -> Void, String) -> Task<Void, Never>) -> [Task<Void, Never>] {
        var tasks = [every(.seconds(1), true, { _ = try await assembly.services.runtime.fireDueTimers() }, "firing due timers failed")]
        if let callback = assembly.callback { tasks.append(Task { await callback.run() }) }
        return tasks
    }

    func cancel() {
        for task in tasks { task.cancel() }
    }
}
