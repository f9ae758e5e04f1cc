import Core
import Effects

/// Which store the simulated engine runs over: memory (fast) or SQLite on a temporary file, so dedupe,
/// matching and migrations are simulated too.
public enum SimulationStoreKind: String, Sendable, Hashable, CaseIterable {
    case memory
    case sqlite
}

public struct SimulationConfig: Sendable, Hashable {
    public var seed: UInt64
    public var conversations: Int
    public var faults: FaultProfile
    /// Conversations competing for one agent's event type; smaller = more races.
    public var conversationsPerAgent: Int
    /// Virtual time between consecutive triggers.
    public var triggerSpacing: Span
    /// Bookable 30-minute slots per day per event type; fewer = scarcer availability.
    public var slotsPerDay: Int
    public var start: Instant
    public var store: SimulationStoreKind
    /// The Calendly plan whose booking cap the engine enforces (one simulated Calendly user per agent);
    /// a small tier makes holds happen. Nil: no cap.
    public var quotaTier: BookingQuota.Tier?
    /// A conversation whose every step (input → effects → phase) and webhook the summary keeps, to read
    /// a violation's story (`simulate --trace c861`). Tracing changes nothing in the run or its digest.
    public var traced: ConversationID?

    public init(seed: UInt64, conversations: Int, faults: FaultProfile = .default, conversationsPerAgent: Int = 40,
                triggerSpacing: Span = .milliseconds(250), slotsPerDay: Int = 16, start: Instant = Instant(iso8601: "2026-11-25T00:00:00Z")!,
                store: SimulationStoreKind = .memory, quotaTier: BookingQuota.Tier? = .standard) {
        self.seed = seed; self.conversations = conversations; self.faults = faults; self.conversationsPerAgent = conversationsPerAgent
        self.triggerSpacing = triggerSpacing; self.slotsPerDay = slotsPerDay; self.start = start
        self.store = store; self.quotaTier = quotaTier
    }
}

public struct SimulationSummary: Sendable, Hashable {
    public var seed: UInt64
    public var faults: String
    public var conversations = 0
    public var bookings = 0
    public var conflicts = 0
    public var fallbacks = 0
    public var noSlots = 0
    public var notUnderstood = 0
    /// Lost replies whose lookup found the booking already canceled by the customer (never booked again).
    public var canceledBeforeConfirmation = 0
    /// The traced conversation's story (see `SimulationConfig.traced`), one line per step or webhook.
    public var trace: [String] = []
    public var abandoned = 0
    public var duplicates = 0
    public var stuck = 0
    public var crashes = 0
    public var reconciled = 0
    public var webhooksDelivered = 0
    public var webhooksRejected = 0
    public var canceled = 0
    public var rescheduled = 0
    public var linkBookings = 0
    public var steps = 0
    public var calendlyCalls = 0
    public var store = SimulationStoreKind.memory.rawValue
    /// Workloads: booking calls the quota held back, messages through the durable outbox, durable timers
    /// fired, restarts after a crash.
    public var quotaHolds = 0
    public var outboxMessages = 0
    /// Customer messages of steps no request waited on that were not written to the outbox (always 0 unless
    /// the engine regresses to defect 1 of issue 11; the invariants then name the conversations).
    public var messagesLost = 0
    /// Conversations whose lookups kept failing (e.g. the grant died meanwhile) and that reached the
    /// reconciliation bound: the apology + link, the booking reference left open.
    public var reconciliationsGivenUp = 0
    public var timersFired = 0
    public var restarts = 0
    /// Agents connected and configured through the engine at set-up.
    public var connects = 0
    public var tokenRefreshes = 0
    public var lostRefreshReplies = 0
    public var revokedGrants = 0
    /// Agents disconnected at the end (their grant was revoked), and triggers not offered booking for it.
    public var disconnected = 0
    public var notOffered = 0
    /// Webhook subscriptions Calendly disabled, notices it therefore never sent, periodic subscription
    /// checks (each over every connected agent), subscriptions the checks re-created, and the full
    /// reconciliations that replayed the gap.
    public var subscriptionsDisabled = 0
    public var webhooksNotSent = 0
    public var subscriptionChecks = 0
    public var subscriptionsRecreated = 0
    public var gapReconciliations = 0
    /// Forged or malformed deliveries through the live intake, and how the intake turned them away
    /// (rejected: signature, age or size; dead-lettered: unreadable; ignored: an event we do not handle).
    public var forgedWebhooks = 0
    public var forgedRejected = 0
    public var forgedDeadLettered = 0
    public var forgedIgnored = 0
    /// Genuine webhooks Calendly sent twice, deliveries the store's dedupe turned away, and deliveries that
    /// arrived after one Calendly sent later.
    public var duplicateWebhooks = 0
    public var webhooksDeduplicated = 0
    public var webhooksOutOfOrder = 0
    public var virtualDuration = Span(milliseconds: 0)
    public var violations: [String] = []
    public var digest = ""
    /// A digest of every conversation's final state (the differential test compares it across stores).
    public var stateDigest = ""
    public var wallSeconds = 0.0

    public var bookingsPerSecond: Double { wallSeconds > 0 ? Double(bookings) / wallSeconds : 0 }
    public var passed: Bool { violations.isEmpty }

    public init(seed: UInt64, faults: String) { self.seed = seed; self.faults = faults }

    public var lines: [String] {
        [
            "SEED=\(seed)",
            "faults: \(faults)",
            "conversations: \(conversations)",
            "bookings: \(bookings)",
            "conflicts: \(conflicts)",
            "fallbacks: \(fallbacks) (no slots: \(noSlots), reply not understood: \(notUnderstood), canceled before confirmation: \(canceledBeforeConfirmation))",
            "abandoned by customer: \(abandoned)",
            "reconciled after unknown outcome: \(reconciled)",
            "duplicates: \(duplicates)",
            "stuck: \(stuck)",
            "crashes: \(crashes)",
            "webhooks delivered: \(webhooksDelivered) (rejected: \(webhooksRejected)), canceled: \(canceled), rescheduled: \(rescheduled)",
            "booked through the attributed fallback link: \(linkBookings)",
            "calendly calls: \(calendlyCalls), reducer steps: \(steps)",
            "store: \(store)",
            "workloads: quota holds \(quotaHolds), outbox messages \(outboxMessages) (lost: \(messagesLost)), timers fired \(timersFired), restarts \(restarts), agents connected \(connects), token refreshes \(tokenRefreshes) (replies lost: \(lostRefreshReplies)), grants revoked \(revokedGrants) (agents disconnected: \(disconnected), triggers not offered: \(notOffered)), reconciliations given up \(reconciliationsGivenUp), subscriptions disabled \(subscriptionsDisabled) (webhooks not sent: \(webhooksNotSent), checks: \(subscriptionChecks), re-created: \(subscriptionsRecreated), gap reconciliations: \(gapReconciliations)), forged webhooks \(forgedWebhooks) (rejected \(forgedRejected), dead-lettered \(forgedDeadLettered), ignored \(forgedIgnored)), duplicate webhooks \(duplicateWebhooks) (deduplicated: \(webhooksDeduplicated)), out-of-order webhooks \(webhooksOutOfOrder)",
            "invariant violations: \(violations.count)",
            "virtual time: \(virtualDuration.milliseconds / 1000) s",
            "trace digest: \(digest)",
            "wall time: \(String(format2(wallSeconds))) s",
            "bookings per second: \(String(format2(bookingsPerSecond))) (\(Int(bookingsPerSecond * 60)) per minute)",
            "steps per second: \(wallSeconds > 0 ? Int(Double(steps) / wallSeconds) : 0)",
        ]
    }
}

func format2(_ value: Double) -> String {
    let scaled = Int((value * 100).rounded())
    return "\(scaled / 100).\(abs(scaled % 100) < 10 ? "0" : "")\(abs(scaled % 100))"
}
