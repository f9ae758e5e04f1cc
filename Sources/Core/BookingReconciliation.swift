import Effects

/// Reconciliation after a webhook gap (issue 6 item 2): Calendly's own record of the affected window is
/// read back and replayed as the notices its webhooks would have carried. Every reducer those notices
/// reach is idempotent (a reference only moves forward; counts happen on transitions), so running a
/// reconciliation twice — or after the webhooks did arrive — changes nothing.
public enum BookingReconciliation {
    /// How far back a reference may be still unconfirmed before it counts as a sign of a gap: webhooks
    /// normally arrive within seconds.
    public static let staleAfter = Span.minutes(10)

    public enum Scope: String, Codable, Sendable, Hashable {
        /// Only references that should have been confirmed by now (the periodic check).
        case stale
        /// Also confirmed bookings still ahead (or passed within `gapLookback`), which a missed `invitee.canceled` may have ended (after
        /// start-up, or a webhook subscription that had to be re-created).
        case all
    }

    /// The scope a run really needs: an agent without a webhook subscription in place (Calendly refused
    /// it, e.g. to a user who is not an organization admin, or it is being re-created) hears of nothing
    /// but what reconciliation reads, so every one of its runs is a full one.
    public static func scope(_ requested: Scope, subscribed: Bool) -> Scope {
        subscribed ? requested : .all
    }

    /// How far ahead a customer may book through a handed-out link (Calendly's default booking horizon).
    public static let linkHorizon = Span.days(60)

    /// How far back a full run looks for starts that passed while no webhook arrived: Calendly disables a
    /// subscription after 24 h of failed deliveries, and the check that re-creates it may come up to 24 h
    /// later (`serve --subscription-check-every` ≤ 1440). A booking made, canceled or moved in that gap
    /// whose time has come since is still counted (found by the simulator: a link booking for the next
    /// half hour, made while the subscription was disabled, was never counted).
    public static let gapLookback = Span.hours(48)

    public struct Window: Codable, Sendable, Hashable {
        public var from: Instant
        /// Exclusive.
        public var to: Instant
        /// Only events of these types matter (each event's invitees cost a request); nil: every type.
        public var eventTypes: [CalendlyURI]?

        public init(from: Instant, to: Instant, eventTypes: [CalendlyURI]? = nil) {
            self.from = from; self.to = to; self.eventTypes = eventTypes
        }
    }

    /// The start-time window to ask Calendly about (its scheduled events filter by start time), or nil
    /// when nothing needs a look. `linkEventTypes` are the event types of static links handed out
    /// recently: with scope `.all`, bookings made through them (any time up to `linkHorizon` ahead) are
    /// looked for too, so a lost `invitee.created` still comes back attributed.
    public static func window(for references: [BookingReference], linkEventTypes: [CalendlyURI] = [], scope: Scope, now: Instant) -> Window? {
        var types = Set<CalendlyURI>()
        var starts = references.compactMap { reference -> Instant? in
            let start = relevantStart(reference, scope: scope, now: now)
            if start != nil { types.insert(reference.eventType) }
            return start
        }
        if scope == .all, !linkEventTypes.isEmpty {
            starts += [now - gapLookback, now + linkHorizon]
            types.formUnion(linkEventTypes)
        }
        guard let first = starts.min(), let last = starts.max() else { return nil }
        return Window(from: first, to: last + .minutes(1), eventTypes: types.sorted())
    }

    /// The start at which Calendly should be asked about `reference`, or nil when it cannot be out of date.
    static func relevantStart(_ reference: BookingReference, scope: Scope, now: Instant) -> Instant? {
        // Half a reschedule seen and the new time never told — even on a reference canceled since: the
        // other half's webhook was lost. The old booking, at the reference's own start, leads to the new one.
        if scope == .all, reference.reschedules?.contains(where: { $0.start == nil }) == true { return reference.start }
        switch reference.status {
        case .pending, .created:
            return scope == .all || reference.recordedAt <= now - staleAfter ? reference.start : nil
        case .confirmed:
            // Where the booking is now: a reschedule moves it, and only its new time can still be canceled
            // (or was, before it passed during a gap).
            return scope == .all && reference.currentStart >= now - gapLookback ? reference.currentStart : nil
        case .canceled, .notBooked:
            return nil
        }
    }

    /// The notices a Calendly listing stands for, as messages to the references, in the order Calendly
    /// sent them (a booking's `invitee.created` before its `invitee.canceled`): a notice can only find its
    /// reference once the ones before it have told the reference its invitee (a reply-less booking is
    /// matched by email only until its first notice; the new half of a reschedule by its old invitee).
    static func notices(_ listing: [InviteeNotice]) -> [Effect] {
        func order(_ notice: InviteeNotice) -> (Instant, Int, String) { (notice.sentAt, notice.kind == .created ? 0 : 1, notice.invitee.rawValue) }
        return listing.sorted { order($0) < order($1) }.map { .notify(.reconciledNotice($0)) }
    }
}

/// The run in flight on a connection (its token reads the agent's Calendly user).
public struct ReconciliationRun: Codable, Sendable, Hashable {
    public var request: RequestID
    public var window: BookingReconciliation.Window
}

extension Connection {
    /// Asks Calendly for the window; a run still in flight is superseded (its reply no longer matches).
    mutating func reconcile(_ window: BookingReconciliation.Window, _ now: Instant) -> [Effect] {
        guard let account, !account.planInsufficient else { return [] }
        let request = nextRequest()
        reconciling = ReconciliationRun(request: request, window: window)
        return [.calendly(request, .listScheduledInvitees(account.token, user: account.user, from: window.from, to: window.to,
                                                                eventTypes: window.eventTypes))]
    }

    mutating func reconciliationReplied(_ run: ReconciliationRun, _ reply: CalendlyReply) -> [Effect] {
        reconciling = nil
        switch reply {
        case .scheduledInvitees(let listing):
            return [.log(LogEntry(.info, "reconciled \(listing.count) calendly invitees for \(agent) from \(run.window.from) to \(run.window.to)"))]
                + BookingReconciliation.notices(listing)
        case .failed(let failure):
            return [.log(LogEntry(.warning, "reconciliation for \(agent) failed (\(failure.reason)); the next run tries again"))]
        case .outcomeUnknown:
            return [.log(LogEntry(.warning, "reconciliation for \(agent) timed out; the next run tries again"))]
        case .tokenGranted, .user, .revoked, .eventTypes, .eventType, .availableTimes, .inviteeCreated, .inviteeFound,
             .webhookSubscription, .webhookSubscriptions, .webhookSubscriptionDeleted:
            return [.log(LogEntry(.warning, "unexpected reply to a reconciliation for \(agent)"))]
        }
    }
}
