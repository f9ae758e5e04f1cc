import Effects

/// The runtime booking state machine of one customer conversation (PRD §11.4 "Runtime booking states"):
///
///     idle ─trigger─▶ checkingAvailability ─slots─▶ slotsShown ─pick─▶ askingEmail ─valid email─▶ (askingQuestion)* ─▶ booking
///                            │ none / error                 ▲                                                       │
///                            ▼                              └──── conflict (re-offer) ◀─────────┤
///                        staticLink ◀──────────── booking error ────────────────────────────────┤
///                                                 outcome unknown ─▶ reconciling ─found─▶ confirmed
///                                                                                  ├─found canceled─▶ staticLink
///                                                                                  └─lookups exhausted─▶ staticLink ─seen later─▶ confirmed
///
/// Exactly-once (DESIGN §5): an intent is stored before `createInvitee`; a reply that may have been
/// lost (timeout, 5xx, crash) is reconciled by looking the booking up before any retry.
public struct BookingConversation: Codable, Sendable, Hashable {
    public static let availabilityWindow = Span.days(7)
    /// Calendly rejects start times in the past; ask from a little ahead of now.
    public static let availabilityLead = Span.minutes(1)
    public static let maxConflicts = 3
    public static let maxUnclearReplies = 3
    public static let maxInvalidEmails = 3
    /// Sends of one booking key: the first, plus one retry after a lookup proved nothing was booked.
    public static let maxSendsPerKey = 2
    public static let reconcileBackoffCap = Span.minutes(5)
    /// The failure reason when the lookup after a lost reply finds our booking already canceled.
    public static let canceledBeforeConfirmation = "canceled_before_confirmation"

    public struct Attempt: Codable, Sendable, Hashable {
        public var key: BookingKey
        public var slot: Slot
        public var email: String
        public var request: RequestID
        public var sends: Int
        /// When the booking was first asked for: a canceled booking the lookup finds is ours only if it was
        /// canceled after this. Nil on attempts stored before it existed (then any cancellation counts as ours).
        public var requestedAt: Instant?
    }

    public enum Phase: Codable, Sendable, Hashable {
        case idle
        case notOffered(NotOfferedReason)
        case checkingAvailability(RequestID)
        case slotsShown(SlotOffer)
        case askingEmail(SlotOffer, chosen: Slot)
        /// A required question of the event type (or its location) that no mapped field answered.
        case askingQuestion(SlotOffer, chosen: Slot, QuestionStep)
        case booking(Attempt)
        /// The booking's outcome is unknown; `lookup` is in flight, or nil while waiting for the backoff timer.
        case reconciling(Attempt, lookup: RequestID?)
        case confirmed(Invitee)
        case staticLink(reason: String)

        public var isTerminal: Bool {
            switch self {
            case .notOffered, .confirmed, .staticLink: return true
            case .idle, .checkingAvailability, .slotsShown, .askingEmail, .askingQuestion, .booking, .reconciling: return false
            }
        }

        /// Waiting on Calendly (not on the customer): must always resolve.
        public var awaitsCalendly: Bool {
            switch self {
            case .checkingAvailability, .booking, .reconciling: return true
            case .idle, .notOffered, .slotsShown, .askingEmail, .askingQuestion, .confirmed, .staticLink: return false
            }
        }
    }

    public struct Trigger: Codable, Sendable, Hashable {
        public var setup: BookingReadiness
        public var channel: Channel
        public var timeZone: String
        /// Opaque reference for the static link's `utm_content` (computed by the host, never a raw id).
        public var attribution: ConversationReference?
        public init(setup: BookingReadiness, channel: Channel, timeZone: String, attribution: ConversationReference? = nil) {
            self.setup = setup; self.channel = channel; self.timeZone = timeZone; self.attribution = attribution
        }
    }

    public enum Input: Codable, Sendable, Hashable {
        case triggerMet(Trigger, at: Instant)
        case calendlyReplied(RequestID, CalendlyReply, at: Instant)
        case customerReplied(String, at: Instant)
        /// The id of the interactive list row or button the customer tapped.
        case customerChoseRow(String, at: Instant)
        case timerFired(TimerID, at: Instant)
        /// A webhook matched this conversation's booking key (it may beat the booking reply).
        case bookingSeen(BookingKey, Invitee, at: Instant)
        /// The process restarted: requests in flight before the crash are presumed lost.
        case recovered(at: Instant)
    }

    public var id: ConversationID
    public var phase: Phase
    public var setup: BookingSetup?
    public var channel: Channel
    public var timeZone: String
    public var email: String?
    public var attempts: Int
    public var offers: Int
    public var conflicts: Int
    public var unclearReplies: Int
    public var invalidEmails: Int
    public var lookups: Int
    public var requestsIssued: Int
    public var toldStillConfirming: Bool
    /// Starts that Calendly said were taken during this conversation; never offered again.
    public var takenStarts: [Instant]
    /// Carried into the static link of every fallback (see `FallbackLink`).
    public var attribution: ConversationReference?
    /// What the customer answered to the event type's questions and location; nil until asked (and on
    /// conversations stored before questions were asked).
    public var details: InviteeDetails?
    /// Asks put to the customer in this conversation (numbers the row ids of each).
    public var asks: Int?
    /// The attempt whose reconciliation gave up with its outcome still unknown (see `lateConfirmation`).
    public var unconfirmed: Attempt?

    public init(id: ConversationID) {
        self.id = id; phase = .idle; channel = .text; timeZone = "UTC"
        attempts = 0; offers = 0; conflicts = 0; unclearReplies = 0; invalidEmails = 0; lookups = 0; requestsIssued = 0
        toldStillConfirming = false; takenStarts = []
    }

    public static func reduce(_ state: inout BookingConversation, _ input: Input) -> [Effect] {
        switch input {
        case .triggerMet(let trigger, let now): return state.triggerMet(trigger, now)
        case .calendlyReplied(let request, let reply, let now): return state.calendlyReplied(request, reply, now) + state.grantRejected(reply, now)
        case .customerReplied(let text, let now): return state.customerReplied(text, now)
        case .customerChoseRow(let id, let now): return state.customerChoseRow(id, now)
        case .timerFired(let timer, let now): return state.timerFired(timer, now)
        case .bookingSeen(let key, let invitee, let now): return state.bookingSeen(key, invitee, now)
        case .recovered(let now): return state.recovered(now)
        }
    }

    // MARK: - Steps

    mutating func triggerMet(_ trigger: Trigger, _ now: Instant) -> [Effect] {
        switch phase {
        case .checkingAvailability, .slotsShown, .askingEmail, .askingQuestion, .booking, .reconciling:
            return [.reject(Rejection(code: "booking_in_progress", message: "A booking is already in progress in this conversation."))]
        case .confirmed(let invitee):
            return [say(.text(Copy.alreadyBooked(when: LocalTime(zoneIdentifier: timeZone).longLabel(invitee.start))))]
        case .idle, .notOffered, .staticLink:
            break
        }
        channel = trigger.channel
        timeZone = LocalTime(zoneIdentifier: trigger.timeZone).zoneIdentifier
        switch trigger.setup {
        case .notOffered(let reason):
            phase = .notOffered(reason)
            return [.log(LogEntry(.info, "booking not offered in \(id): \(reason.rawValue)"))]
        case .ready(let setup):
            self.setup = setup
            attribution = trigger.attribution
            email = setup.knownEmail
            conflicts = 0; unclearReplies = 0; invalidEmails = 0; offers = 0; takenStarts = []
            details = InviteeDetails()
            return [say(.text(Copy.checkingAvailability))] + fetchAvailability(now)
        }
    }

    mutating func calendlyReplied(_ request: RequestID, _ reply: CalendlyReply, _ now: Instant) -> [Effect] {
        switch phase {
        case .checkingAvailability(let expected) where expected == request:
            return availabilityReplied(reply, now)
        case .booking(let attempt) where attempt.request == request:
            return bookingReplied(attempt, reply, now)
        case .reconciling(let attempt, let lookup) where lookup == request:
            return lookupReplied(attempt, reply, now)
        case .idle, .notOffered, .checkingAvailability, .slotsShown, .askingEmail, .askingQuestion, .booking, .reconciling, .confirmed, .staticLink:
            return [.log(LogEntry(.debug, "stale calendly reply \(request) ignored in \(id)"))]
        }
    }

    mutating func availabilityReplied(_ reply: CalendlyReply, _ now: Instant) -> [Effect] {
        guard let setup else { return [] }
        switch reply {
        case .availableTimes(let slots):
            let earliest = now + BookingConversation.availabilityLead
            let fresh = slots.filter { $0.start >= earliest && !takenStarts.contains($0.start) }
            var seen = Set<Instant>()
            let ordered = fresh.sorted().filter { seen.insert($0.start).inserted }
            let shown = Array(ordered.prefix(ChannelLimits.maxSlots(channel)))
            guard !shown.isEmpty else {
                phase = .staticLink(reason: "no_slots")
                return [say(.text(Copy.noTimesAvailable(link: fallbackLink(setup)))), .log(LogEntry(.info, "no slots for \(id)"))]
                    + fallbackOffered(setup, now)
            }
            offers += 1
            let offer = SlotOffer(number: offers, slots: shown)
            phase = .slotsShown(offer)
            var effects = [say(OfferRenderer.render(offer, channel: channel, eventName: setup.eventType.name,
                                                    durationMinutes: setup.eventType.durationMinutes, time: LocalTime(zoneIdentifier: timeZone)))]
            if offers == 1 {
                effects.append(.emit(.bookingOffered(agent: setup.agent, conversation: id, eventType: setup.eventType.uri, channel: channel, at: now)))
            }
            return effects
        case .failed(let failure):
            return fail(failure.reason, now)
        case .outcomeUnknown:
            return fail("timeout", now)
        case .tokenGranted, .user, .revoked, .eventTypes, .eventType, .inviteeCreated, .inviteeFound, .webhookSubscription, .webhookSubscriptions, .webhookSubscriptionDeleted, .scheduledInvitees:
            return fail("unexpected_reply", now)
        }
    }

    mutating func customerReplied(_ text: String, _ now: Instant) -> [Effect] {
        switch phase {
        case .slotsShown(let offer):
            switch ReplyParser.meaning(of: text, offer: offer, time: LocalTime(zoneIdentifier: timeZone)) {
            case .slot(let index): return choose(offer.slots[index], from: offer, now)
            case .manageBooking, .unclear: return notUnderstood(offer, now)
            }
        case .askingEmail(let offer, let chosen):
            if let address = EmailAddress.normalized(text) {
                email = address
                return proceed(chosen, from: offer, now)
            }
            invalidEmails += 1
            if invalidEmails >= BookingConversation.maxInvalidEmails {
                return giveUp("invalid_email", now)
            }
            phase = .askingEmail(offer, chosen: chosen)
            return [say(.text(Copy.invalidEmail))]
        case .askingQuestion(let offer, let chosen, let step):
            return answered(AnswerReader.read(text, step: step, zone: timeZone), offer, chosen, step, now)
        case .confirmed(let invitee):
            // NEG-1: booking only; rescheduling and cancelling happen on Calendly's own pages.
            guard ReplyParser.mentionsManaging(text) else { return [] }
            return [say(.text(Copy.manageInCalendly(reschedule: invitee.rescheduleURL, cancel: invitee.cancelURL)))]
        case .idle, .notOffered, .checkingAvailability, .booking, .reconciling, .staticLink:
            return []
        }
    }

    mutating func customerChoseRow(_ rowID: String, _ now: Instant) -> [Effect] {
        switch phase {
        case .slotsShown(let offer):
            guard let index = offer.index(ofRowID: rowID) else { return notUnderstood(offer, now) }
            return choose(offer.slots[index], from: offer, now)
        case .askingEmail(let offer, _):
            // The customer changed their mind before giving the email.
            guard let index = offer.index(ofRowID: rowID) else { return [] }
            phase = .askingEmail(offer, chosen: offer.slots[index])
            return [say(.text(Copy.askEmail))]
        case .askingQuestion(let offer, let chosen, let step):
            if let reading = AnswerReader.read(rowID: rowID, step: step) { return answered(reading, offer, chosen, step, now) }
            // A tap on the offer still on screen: the customer changed the time; the question stands.
            guard let index = offer.index(ofRowID: rowID) else { return [] }
            phase = .askingQuestion(offer, chosen: offer.slots[index], step)
            return [say(QuestionRenderer.render(step, channel: channel))]
        case .idle, .notOffered, .checkingAvailability, .booking, .reconciling, .confirmed, .staticLink:
            return []
        }
    }

    mutating func timerFired(_ timer: TimerID, _ now: Instant) -> [Effect] {
        guard case .reconciling(let attempt, nil) = phase, timer == reconcileTimer else { return [] }
        return lookUp(attempt)
    }

    mutating func bookingSeen(_ key: BookingKey, _ invitee: Invitee, _ now: Instant) -> [Effect] {
        switch phase {
        case .booking(let attempt) where attempt.key == key: return seen(invitee, attempt, now)
        case .reconciling(let attempt, _) where attempt.key == key: return seen(invitee, attempt, now)
        case _ where unconfirmed?.key == key: return lateConfirmation(key, invitee, now) ?? []
        case .idle, .notOffered, .checkingAvailability, .slotsShown, .askingEmail, .askingQuestion, .booking, .reconciling, .confirmed, .staticLink:
            return []
        }
    }

    mutating func recovered(_ now: Instant) -> [Effect] {
        switch phase {
        case .checkingAvailability: return fetchAvailability(now)
        // The create may or may not have reached Calendly: never resend blindly, look it up first.
        case .booking(let attempt), .reconciling(let attempt, _): return lookUp(attempt)
        case .idle, .notOffered, .slotsShown, .askingEmail, .askingQuestion, .confirmed, .staticLink: return []
        }
    }

    // MARK: - Booking

    mutating func choose(_ slot: Slot, from offer: SlotOffer, _ now: Instant) -> [Effect] {
        unclearReplies = 0
        guard email != nil else {
            phase = .askingEmail(offer, chosen: slot)
            return [say(.text(Copy.askEmail))]
        }
        return proceed(slot, from: offer, now)
    }

    mutating func book(_ slot: Slot, _ now: Instant) -> [Effect] {
        guard let setup, let email else { return [] }
        attempts += 1
        // A new attempt reconciles from scratch: its own "still confirming" and its own backoff.
        lookups = 0
        toldStillConfirming = false
        let key = BookingKey("\(id)#\(attempts)")
        let request = nextRequest()
        let attempt = Attempt(key: key, slot: slot, email: email, request: request, sends: 1, requestedAt: now)
        phase = .booking(attempt)
        let intent = BookingIntent(key: key, agent: setup.agent, conversation: id, eventType: setup.eventType.uri, start: slot.start, email: email, recordedAt: now)
        return [.store(.recordIntent(intent)), .calendly(request, .createInvitee(setup.token, key: key, inviteeRequest(attempt)))]
    }

    func inviteeRequest(_ attempt: Attempt) -> InviteeRequest {
        InviteeRequest(eventType: setup?.eventType.uri ?? CalendlyURI(""), start: attempt.slot.start, email: attempt.email,
                       name: setup?.knownName, timeZone: timeZone, answers: bookingAnswers, location: bookingLocation)
    }

    mutating func bookingReplied(_ attempt: Attempt, _ reply: CalendlyReply, _ now: Instant) -> [Effect] {
        switch reply {
        case .inviteeCreated(let invitee):
            return confirm(invitee, attempt, now)
        case .failed(.slotUnavailable) where attempt.sends > 1:
            // A resend of the key: the slot may be taken by our own first send, which landed after the
            // lookup. Find out before treating it as somebody else's booking.
            return lookUp(attempt)
        case .failed(.slotUnavailable):
            return conflict(attempt, now)
        case .failed(.rejected(let message)) where QuestionRefusal.isAboutAnswers(message):
            // A question added (or changed) in Calendly after the save: the admin must look, not only this customer.
            return abandon(attempt, QuestionRefusal.reason, now) + needsReview(now)
        case .failed(.serverError), .failed(.malformedResponse), .outcomeUnknown:
            // Calendly may have booked it and failed afterwards: find out before anything else.
            return lookUp(attempt)
        case .failed(let failure):
            return abandon(attempt, failure.reason, now)
        case .tokenGranted, .user, .revoked, .eventTypes, .eventType, .availableTimes, .inviteeFound, .webhookSubscription, .webhookSubscriptions, .webhookSubscriptionDeleted, .scheduledInvitees:
            return lookUp(attempt)
        }
    }

    mutating func lookupReplied(_ attempt: Attempt, _ reply: CalendlyReply, _ now: Instant) -> [Effect] {
        switch reply {
        case .inviteeFound(let found?):
            // Canceled before we asked: an earlier booking of this customer at this time, not ours.
            if let canceledAt = found.canceledAt, let requestedAt = attempt.requestedAt, canceledAt < requestedAt { return notFound(attempt, now) }
            return seen(found, attempt, now)
        case .inviteeFound(nil):
            return notFound(attempt, now)
        case .failed, .outcomeUnknown, .tokenGranted, .user, .revoked, .eventTypes, .eventType, .availableTimes, .inviteeCreated, .webhookSubscription, .webhookSubscriptions, .webhookSubscriptionDeleted, .scheduledInvitees:
            return lookupFailed(attempt, now)
        }
    }

    /// Calendly shows our booking (a lookup found it, or a webhook matched its reference): confirm it — or,
    /// when the customer already canceled it, end like a failure and never book again. A webhook's
    /// cancellation can come first (webhooks are not ordered), so both kinds arrive here.
    mutating func seen(_ invitee: Invitee, _ attempt: Attempt, _ now: Instant) -> [Effect] {
        guard let canceledAt = invitee.canceledAt else { return confirm(invitee, attempt, now) }
        // Canceled before we asked: not ours (a lookup already said so above; a webhook's is ignored).
        if let requestedAt = attempt.requestedAt, canceledAt < requestedAt { return [] }
        return canceledBeforeConfirmation(invitee, attempt, now)
    }

    /// The lookup proved nothing is booked: the same key may be sent once more, else give up.
    mutating func notFound(_ attempt: Attempt, _ now: Instant) -> [Effect] {
        lookups = 0
        guard attempt.sends < BookingConversation.maxSendsPerKey else { return abandon(attempt, "booking_not_confirmed", now) }
        var retry = attempt
        retry.sends += 1
        retry.request = nextRequest()
        phase = .booking(retry)
        return [.calendly(retry.request, .createInvitee(setup?.token ?? TokenReference(""), key: retry.key, inviteeRequest(retry)))]
    }

    /// Our booking was made, but the customer canceled it (from Calendly's email) before the lost reply was
    /// reconciled. Never book again. It is settled as booked and counted as created, so the reference holds
    /// the invitee and the `invitee.canceled` webhook (or reconciliation) counts its cancellation exactly
    /// once, in whichever order they come: the counts stay created ≥ canceled. The customer gets the
    /// failure path: apology + static link.
    mutating func canceledBeforeConfirmation(_ invitee: Invitee, _ attempt: Attempt, _ now: Instant) -> [Effect] {
        guard let setup else { return [] }
        return [
            .store(.settleIntent(attempt.key, .booked(invitee), at: now)),
            .emit(.bookingCreated(agent: setup.agent, conversation: id, eventType: setup.eventType.uri, scheduledTime: invitee.start, at: now)),
        ] + fail(BookingConversation.canceledBeforeConfirmation, now)
    }

    mutating func lookUp(_ attempt: Attempt) -> [Effect] {
        guard let setup else { return [] }
        let request = nextRequest()
        phase = .reconciling(attempt, lookup: request)
        return [.calendly(request, .findInvitee(setup.token, eventType: setup.eventType.uri, email: attempt.email, start: attempt.slot.start))]
    }

    mutating func confirm(_ invitee: Invitee, _ attempt: Attempt, _ now: Instant) -> [Effect] {
        guard let setup else { return [] }
        phase = .confirmed(invitee)
        let time = LocalTime(zoneIdentifier: timeZone)
        let card = ConfirmationCard(eventName: setup.eventType.name, when: time.longLabel(invitee.start), detailsURL: invitee.rescheduleURL,
                                    message: setup.confirmationMessage)
        return [
            .store(.settleIntent(attempt.key, .booked(invitee), at: now)),
            say(.confirmationCard(card)),
            .emit(.bookingCreated(agent: setup.agent, conversation: id, eventType: setup.eventType.uri, scheduledTime: invitee.start, at: now)),
        ]
    }

    mutating func conflict(_ attempt: Attempt, _ now: Instant) -> [Effect] {
        guard let setup else { return [] }
        conflicts += 1
        takenStarts.append(attempt.slot.start)
        var effects: [Effect] = [
            .store(.settleIntent(attempt.key, .notBooked(reason: "slot_unavailable"), at: now)),
            .emit(.slotConflict(agent: setup.agent, conversation: id, eventType: setup.eventType.uri, at: now)),
        ]
        if conflicts >= BookingConversation.maxConflicts {
            return effects + fail("repeated_conflicts", now)
        }
        effects.append(say(.text(Copy.slotJustTaken)))
        return effects + fetchAvailability(now)
    }

    /// Calendly definitively did not book: settle the intent, then fall back.
    mutating func abandon(_ attempt: Attempt, _ reason: String, _ now: Instant) -> [Effect] {
        [.store(.settleIntent(attempt.key, .notBooked(reason: reason), at: now))] + fail(reason, now)
    }

    /// S03 ERR-2: apology + static link + `calendly_booking_failed` with the reason.
    mutating func fail(_ reason: String, _ now: Instant) -> [Effect] {
        guard let setup else { return [] }
        phase = .staticLink(reason: reason)
        return [
            say(.text(Copy.apology(link: fallbackLink(setup)))),
            .emit(.bookingFailed(agent: setup.agent, conversation: id, reason: reason, at: now)),
            .store(.appendFailure(FailureRecord(agent: setup.agent, conversation: id, reason: reason, at: now))),
        ] + fallbackOffered(setup, now)
    }

    /// The customer could not finish in chat (unreadable replies, no valid email): link, no alarm.
    mutating func giveUp(_ reason: String, _ now: Instant) -> [Effect] {
        guard let setup else { return [] }
        phase = .staticLink(reason: reason)
        return [say(.text(Copy.apology(link: fallbackLink(setup)))), .log(LogEntry(.info, "booking handed to static link in \(id): \(reason)"))]
            + fallbackOffered(setup, now)
    }

    mutating func notUnderstood(_ offer: SlotOffer, _ now: Instant) -> [Effect] {
        unclearReplies += 1
        if unclearReplies >= BookingConversation.maxUnclearReplies { return giveUp("reply_not_understood", now) }
        return [say(.text(Copy.didNotUnderstand(count: offer.slots.count)))]
    }

    mutating func fetchAvailability(_ now: Instant) -> [Effect] {
        guard let setup else { return [] }
        let request = nextRequest()
        phase = .checkingAvailability(request)
        let from = now + BookingConversation.availabilityLead
        return [.calendly(request, .availableTimes(setup.token, eventType: setup.eventType.uri, from: from, to: from + BookingConversation.availabilityWindow))]
    }

    var reconcileTimer: TimerID { TimerID("\(id)/reconcile") }

    mutating func nextRequest() -> RequestID {
        requestsIssued += 1
        return RequestID("\(id)/\(requestsIssued)")
    }

    func say(_ content: MessageContent) -> Effect { .send(ChannelMessage(conversation: id, content: content)) }

    // MARK: - Invariants

    public func checkInvariants() -> [Violation] {
        var violations: [Violation] = []
        switch phase {
        case .slotsShown(let offer), .askingEmail(let offer, _), .askingQuestion(let offer, _, _):
            if offer.slots.isEmpty { violations.append(Violation("\(id): empty offer shown")) }
            if offer.slots.count > ChannelLimits.maxSlots(channel) { violations.append(Violation("\(id): offer exceeds channel limit")) }
        case .booking(let attempt), .reconciling(let attempt, _):
            if !EmailAddress.isValid(attempt.email) { violations.append(Violation("\(id): booking with invalid email")) }
            if attempt.sends > BookingConversation.maxSendsPerKey { violations.append(Violation("\(id): key \(attempt.key) sent \(attempt.sends) times")) }
        case .idle, .notOffered, .checkingAvailability, .confirmed, .staticLink:
            break
        }
        if case .askingQuestion(_, _, let step) = phase {
            violations += questionViolations(step)
        }
        switch phase {
        case .idle, .notOffered: break
        case .checkingAvailability, .slotsShown, .askingEmail, .askingQuestion, .booking, .reconciling, .confirmed, .staticLink:
            if setup == nil { violations.append(Violation("\(id): running without a setup")) }
        }
        return violations
    }
}

extension BookingConversation.Phase {
    /// The phase without its payload (journals, traces, the store's phase column).
    public var name: String {
        switch self {
        case .idle: return "idle"
        case .notOffered: return "notOffered"
        case .checkingAvailability: return "checkingAvailability"
        case .slotsShown: return "slotsShown"
        case .askingEmail: return "askingEmail"
        case .askingQuestion: return "askingQuestion"
        case .booking: return "booking"
        case .reconciling: return "reconciling"
        case .confirmed: return "confirmed"
        case .staticLink: return "staticLink"
        }
    }
}
