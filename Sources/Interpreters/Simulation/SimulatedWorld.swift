import Core
import Crypto
import Effects

/// The deterministic simulator (DESIGN §1, §7 "VOPR"): the real core, a model of Calendly, an in-memory
/// store, a virtual clock, seeded streams and injected faults. Same seed → same trace digest.
///
/// Safety phase: faults on, invariants after every step. Liveness phase: faults off, drain the queue;
/// then every conversation must have ended (confirmed / static link) or be waiting on a customer who left.
public final class SimulatedWorld {
    enum Event {
        case trigger(Int)
        case input(Int, BookingConversation.Input, epoch: Int)
        case customer(Int, CustomerAct)
        case webhook(SimCalendly.OutgoingWebhook)
        case externalBooking
        case cancel(CalendlyURI)
        /// The invitee moves the booking in Calendly (two webhooks: canceled + created).
        case reschedule(CalendlyURI)
        /// A customer sent to the static link books through it (its tracking names the conversation).
        case linkBooking(Int)
        case restart(epoch: Int)
    }

    enum CustomerAct {
        case text(String)
        case row(String)
    }

    /// How a customer answers the event type's questions (issue 12).
    enum Answering: CaseIterable {
        /// A fitting answer at once.
        case well
        /// First an answer that does not fit (empty, out of range, a short number), then a fitting one.
        case badly
        /// Never answers: leaves the conversation at the first question.
        case never
    }

    struct Customer {
        var channel: Channel
        var timeZone: String
        var email: String
        var knowsEmail: Bool
        var abandons: Bool
        var mumbles: Bool
        var typoEmail: Bool
        var asksToReschedule: Bool
        var answering: Answering = .well
        // What the customer saw, for the invariants.
        var confirmations: [Instant] = []
        var apologies = 0
        var noSlots = 0
        var offersSeen = 0
        var conflictsSeen = 0
        var manageLinksSeen = 0
    }

    public let config: SimulationConfig
    var faults: FaultProfile
    var queue = EventQueue<Event>()
    var now: Instant
    var epoch = 0
    var calendly: SimCalendly
    var store = InMemoryStore()
    var conversations: [BookingConversation] = []
    var customers: [Customer] = []
    var awaiting = Set<Int>()
    var setups: [BookingSetup] = []
    var workload: SeededGenerator
    var latency: SeededGenerator
    var faultStream: SeededGenerator
    var webhookStream: SeededGenerator
    var digest = TraceDigest()
    var summary: SimulationSummary
    let signature: WebhookSignature
    var stepViolations: [String] = []
    var liveness = false

    static let zones = ["Asia/Jakarta", "America/New_York", "Europe/London", "Australia/Lord_Howe", "Asia/Kolkata", "UTC", "Pacific/Chatham", "America/Sao_Paulo"]

    public init(_ config: SimulationConfig) {
        self.config = config
        faults = config.faults
        now = config.start
        calendly = SimCalendly()
        workload = SeededGenerator(root: config.seed, stream: "workload")
        latency = SeededGenerator(root: config.seed, stream: "latency")
        faultStream = SeededGenerator(root: config.seed, stream: "faults")
        webhookStream = SeededGenerator(root: config.seed, stream: "webhooks")
        summary = SimulationSummary(seed: config.seed, faults: config.faults.name)
        let key = Array("sim-signing-key-\(config.seed)".utf8)
        signature = WebhookSignature(key: key, hmac: CryptoHMAC.sha256)
    }

    // MARK: - Run

    public static func run(_ config: SimulationConfig) -> SimulationSummary {
        let world = SimulatedWorld(config)
        let clock = ContinuousClock()
        let started = clock.now
        world.setUp()
        world.runUntilQuiet()
        world.checkFinalInvariants()
        let elapsed = clock.now - started
        world.summary.wallSeconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        world.summary.digest = world.digest.hex
        world.summary.virtualDuration = world.now - config.start
        world.summary.violations = world.stepViolations + world.summary.violations
        return world.summary
    }

    func setUp() {
        let agents = max(1, (config.conversations + config.conversationsPerAgent - 1) / config.conversationsPerAgent)
        for agent in 0..<agents {
            let uri = CalendlyURI("https://api.calendly.com/event_types/ET\(agent)")
            // Two agents in three have event types that require answers (every question type, locations).
            let eventType = EventType(uri: uri, name: "Consultation \(agent)", durationMinutes: 30, schedulingURL: "https://calendly.com/host\(agent)/consultation",
                                      customQuestions: Self.questions(agent), locations: Self.locations(agent))
            calendly.addEventType(eventType, schedule: SimCalendly.Schedule(dayStartMinute: 60, dayEndMinute: 60 + 30 * config.slotsPerDay))
            setups.append(BookingSetup(agent: AgentID("agent-\(agent)"), eventType: eventType, token: TokenReference("token-\(agent)"),
                                       confirmationMessage: "See you then!"))
        }
        conversations.reserveCapacity(config.conversations)
        customers.reserveCapacity(config.conversations)
        for index in 0..<config.conversations {
            conversations.append(BookingConversation(id: ConversationID("c\(index)")))
            customers.append(Customer(
                channel: workload.pick(Channel.allCases), timeZone: workload.pick(Self.zones), email: "c\(index)@example.com",
                knowsEmail: workload.chance(0.6), abandons: workload.chance(0.01), mumbles: workload.chance(0.04),
                typoEmail: workload.chance(0.1), asksToReschedule: workload.chance(0.05),
                answering: workload.chance(0.85) ? .well : (workload.chance(0.7) ? .badly : .never)
            ))
            // Conversations of all agents interleave; each agent's customers overlap in time and race for slots.
            queue.push(.trigger(index), at: config.start + config.triggerSpacing * Int64(index))
        }
        let external = Int(Double(config.conversations) * faults.externalBookingsPerConversation)
        let window = max(Int64(1), (config.triggerSpacing * Int64(config.conversations)).milliseconds)
        for _ in 0..<external {
            queue.push(.externalBooking, at: config.start + .milliseconds(workload.int64(in: 0...window)))
        }
    }

    var safetyEnds: Instant { config.start + config.triggerSpacing * Int64(config.conversations) + .minutes(10) }

    func runUntilQuiet() {
        let horizon = config.start + .days(30)
        while let (time, event) = queue.pop() {
            if !liveness, time > safetyEnds {
                // Liveness phase: the world turns kind; everything in flight must now finish.
                liveness = true
                faults = .quiet
            }
            if time > horizon { summary.violations.append("virtual time horizon passed with \(queue.count) events pending"); break }
            now = time
            handle(event)
        }
    }

    func handle(_ event: Event) {
        switch event {
        case .trigger(let index):
            let customer = customers[index]
            let setup = setups[index % setups.count]
            var personal = setup
            personal.knownEmail = customer.knowsEmail ? customer.email : nil
            // A stand-in for the host's keyed hash: opaque, stable per conversation, no customer data.
            let attribution = ConversationReference("sim-conversation-\(index)")
            step(index, .triggerMet(BookingConversation.Trigger(setup: .ready(personal), channel: customer.channel, timeZone: customer.timeZone,
                                                                attribution: attribution), at: now))
        case .input(let index, let input, let inputEpoch):
            guard inputEpoch == epoch else { return } // the process that waited for it died
            step(index, input)
        case .customer(let index, let act):
            switch act {
            case .text(let text): step(index, .customerReplied(text, at: now))
            case .row(let id): step(index, .customerChoseRow(id, at: now))
            }
        case .webhook(let webhook):
            deliver(webhook)
        case .externalBooking:
            bookExternally()
        case .cancel(let invitee):
            if calendly.cancel(invitee, now: now) { summary.canceled += 1 }
            flushWebhooks()
        case .reschedule(let invitee):
            reschedule(invitee)
        case .linkBooking(let index):
            bookThroughLink(index)
        case .restart(let restartEpoch):
            guard restartEpoch == epoch else { return } // it crashed again before this restart
            // Recovery: every conversation that was waiting on Calendly resumes from its stored state.
            for index in awaiting.sorted() { step(index, .recovered(at: now)) }
        }
    }

    // MARK: - The runtime step (the same shape the live runtime uses)

    func step(_ index: Int, _ input: BookingConversation.Input) {
        summary.steps += 1
        var state = conversations[index]
        let effects = BookingConversation.reduce(&state, input)
        conversations[index] = state
        digest.mix(Int64(index))
        digest.mix(TraceText.input(input))
        for effect in effects { digest.mix(TraceText.effect(effect)) }
        for violation in state.checkInvariants() where stepViolations.count < 50 { stepViolations.append(violation.message) }
        if state.phase.awaitsCalendly { awaiting.insert(index) } else { awaiting.remove(index) }
        let outcome = store.commit(effects, at: now)
        for followUp in outcome.followUps {
            switch followUp {
            case .conversation(let id, let next):
                if let target = Int(id.rawValue.dropFirst()) { queue.push(.input(target, next, epoch: epoch), at: now) }
            case .config, .connection:
                break // The simulator runs conversations only; connections and configs are fixed setups here.
            }
        }
        for effect in outcome.external {
            guard dispatch(effect, index) else { return } // crashed: the rest of this step's effects never ran
        }
    }

    /// Performs one outgoing effect. Returns false when the process crashed before it.
    func dispatch(_ effect: Effect, _ index: Int) -> Bool {
        switch effect {
        case .calendly(let request, let call):
            if faultStream.chance(faults.crash) { crash(); return false }
            summary.calendlyCalls += 1
            let (delay, reply) = perform(call)
            queue.push(.input(index, .calendlyReplied(request, reply, at: now + delay), epoch: epoch), at: now + delay)
            flushWebhooks()
        case .send(let message):
            customerSees(message.content, index)
        case .schedule(let timer, let after):
            queue.push(.input(index, .timerFired(timer, at: now + after), epoch: epoch), at: now + after)
        case .emit, .store, .notify, .log, .reject:
            break
        }
        return true
    }

    func crash() {
        summary.crashes += 1
        epoch += 1
        queue.push(.restart(epoch: epoch), at: now + .seconds(2))
    }

    // MARK: - Calendly with faults

    func perform(_ call: CalendlyCall) -> (Span, CalendlyReply) {
        let base = latency.int64(in: 20...200) + (faults.latencySpreadMs > 0 ? latency.int64(in: 0...faults.latencySpreadMs) : 0)
        let budget = call.budget
        let tookTooLong = base > budget.milliseconds || faultStream.chance(faults.timeout)
        let delay = tookTooLong ? budget : .milliseconds(base)
        if faultStream.chance(faults.rateLimit) { return (delay, .failed(.rateLimited(retryAfter: .seconds(30)))) }
        if faultStream.chance(faults.serverError) { return (delay, .failed(.serverError(status: 503))) }
        switch call {
        case .availableTimes(_, let eventType, let from, let to):
            if tookTooLong { return (delay, .failed(.unreachable)) }
            switch calendly.availableTimes(eventType: eventType, from: from, to: to, now: now) {
            case .success(let slots): return (delay, .availableTimes(slots))
            case .failure(let failure): return (delay, .failed(failure))
            }
        case .createInvitee(_, let key, let request):
            let result = calendly.createInvitee(request, key: key, now: now)
            switch result {
            case .success(let invitee):
                if faultStream.chance(faults.cancellation) {
                    // Some customers cancel from Calendly's confirmation email at once: while a lost reply is still being looked up.
                    let after = workload.chance(0.3) ? Span.seconds(workload.int64(in: 1...30)) : .minutes(workload.int64(in: 1...120))
                    queue.push(.cancel(invitee.uri), at: now + after)
                }
                if faultStream.chance(faults.cancellation) { queue.push(.reschedule(invitee.uri), at: now + .minutes(workload.int64(in: 1...120))) }
                if tookTooLong || faultStream.chance(faults.lostResponse) { return (budget, .outcomeUnknown) }
                if faultStream.chance(faults.serverErrorAfterBooking) { return (delay, .failed(.serverError(status: 502))) }
                return (delay, .inviteeCreated(invitee))
            case .failure(let failure):
                return (delay, tookTooLong ? .outcomeUnknown : .failed(failure))
            }
        case .findInvitee(_, let eventType, let email, let start):
            if tookTooLong { return (delay, .failed(.unreachable)) }
            summary.reconciled += 1
            return (delay, .inviteeFound(calendly.findInvitee(eventType: eventType, email: email, start: start)))
        case .listScheduledInvitees(_, _, let from, let to, let eventTypes):
            if tookTooLong { return (delay, .failed(.unreachable)) }
            return (delay, .scheduledInvitees(calendly.scheduledInvitees(from: from, to: to, eventTypes: eventTypes)))
        case .exchangeCode, .currentUser, .refreshToken, .revokeToken, .listEventTypes, .getEventType, .createWebhookSubscription,
             .listWebhookSubscriptions, .deleteWebhookSubscription:
            return (delay, .failed(.notFound))
        }
    }

    func bookExternally() {
        guard !setups.isEmpty else { return }
        let setup = workload.pick(setups)
        let from = now + .minutes(2)
        guard case .success(let slots) = calendly.availableTimes(eventType: setup.eventType.uri, from: from, to: from + .days(7), now: now), !slots.isEmpty else { return }
        let slot = slots[workload.int(in: 0...min(slots.count - 1, 5))]
        let request = InviteeRequest(eventType: setup.eventType.uri, start: slot.start, email: "walk-in-\(workload.next() % 100_000)@example.org", name: nil, timeZone: "UTC")
        _ = calendly.createInvitee(request, key: nil, now: now, viaAPI: false)
        flushWebhooks()
    }

    /// Moves a booking to another free start of its event type (if it is still active and one is free).
    func reschedule(_ invitee: CalendlyURI) {
        guard let booking = calendly.booking(of: invitee), !booking.canceled else { return }
        let from = now + .minutes(2)
        guard case .success(let slots) = calendly.availableTimes(eventType: booking.eventType, from: from, to: from + .days(7), now: now),
              !slots.isEmpty else { return }
        let slot = slots[workload.int(in: 0...min(slots.count - 1, 8))]
        if case .success = calendly.reschedule(invitee, to: slot.start, now: now) { summary.rescheduled += 1 }
        flushWebhooks()
    }

    /// The customer opens the attributed link they were given and books the first free time there.
    func bookThroughLink(_ index: Int) {
        guard let setup = conversations[index].setup, let reference = conversations[index].attribution else { return }
        let from = now + .minutes(2)
        guard case .success(let slots) = calendly.availableTimes(eventType: setup.eventType.uri, from: from, to: from + .days(7), now: now),
              let slot = slots.first else { return }
        let request = InviteeRequest(eventType: setup.eventType.uri, start: slot.start, email: customers[index].email, name: nil, timeZone: "UTC")
        let tracking = BookingTracking(utmSource: FallbackLink.source, utmContent: reference.rawValue)
        if case .success = calendly.createInvitee(request, key: nil, now: now, viaAPI: false, tracking: tracking) { summary.linkBookings += 1 }
        flushWebhooks()
    }

    // MARK: - Webhooks

    func flushWebhooks() {
        for webhook in calendly.drainOutbox() {
            let spread = faults.webhookSpreadMs > 0 ? webhookStream.int64(in: 0...faults.webhookSpreadMs) : 0
            queue.push(.webhook(webhook), at: now + .milliseconds(50 + spread))
            if webhookStream.chance(faults.duplicateWebhook) {
                queue.push(.webhook(webhook), at: now + .milliseconds(100 + webhookStream.int64(in: 0...max(1, faults.webhookSpreadMs * 2))))
            }
        }
    }

    func deliver(_ webhook: SimCalendly.OutgoingWebhook) {
        summary.webhooksDelivered += 1
        let delivery = WebhookIntake.Delivery(signatureHeader: signature.header(for: webhook.body, at: now), body: webhook.body)
        let effects = WebhookIntake.reduce(&store.intake, .delivered(delivery, at: now), signature: signature)
        for effect in effects { digest.mix(TraceText.effect(effect)) }
        let rejectedBefore = store.telemetryCount["calendly_webhook_rejected", default: 0]
        let outcome = store.commit(effects, at: now)
        summary.webhooksRejected += store.telemetryCount["calendly_webhook_rejected", default: 0] - rejectedBefore
        for followUp in outcome.followUps {
            switch followUp {
            case .conversation(let id, let input):
                if let index = Int(id.rawValue.dropFirst()) { step(index, input) }
            case .config, .connection:
                break // No admin aggregates in the simulator.
            }
        }
    }

    // MARK: - The customers

    func customerSees(_ content: MessageContent, _ index: Int) {
        if case .askingQuestion(_, _, let step) = conversations[index].phase {
            return customerAnswers(content, step, index)
        }
        var customer = customers[index]
        defer { customers[index] = customer }
        let think = Span.milliseconds(workload.int64(in: 1_000...30_000))
        switch content {
        case .interactiveList(_, _, let rows):
            customer.offersSeen += 1
            guard !customer.abandons else { return }
            let ids = rows.map(\.id)
            if customer.mumbles && customer.offersSeen == 1 { queue.push(.customer(index, .text("hmm, which one is best?")), at: now + think) }
            queue.push(.customer(index, .row(choose(ids))), at: now + think + .seconds(2))
        case .buttons(_, let buttons):
            customer.offersSeen += 1
            guard !customer.abandons else { return }
            queue.push(.customer(index, .row(choose(buttons.map(\.id)))), at: now + think)
        case .confirmationCard(let card):
            customer.confirmations.append(conversations[index].confirmedStart ?? Instant(millisecondsSince1970: 0))
            _ = card
            if customer.asksToReschedule { queue.push(.customer(index, .text("Can I reschedule this?")), at: now + think) }
        case .text(let text):
            if text.hasPrefix("Here are the next available times") {
                customer.offersSeen += 1
                guard !customer.abandons else { return }
                let labels = text.split(separator: "\n").dropFirst().dropLast().map { line -> String in
                    String(line.drop { $0 != " " }.dropFirst())
                }
                let choice = workload.int(in: 0...(labels.count - 1)) < 2 ? 0 : workload.int(in: 0...(labels.count - 1))
                let variants = ["\(choice + 1)", "#\(choice + 1)", "option \(choice + 1)", "\(choice + 1).", labels[choice]]
                if customer.mumbles && customer.offersSeen == 1 { queue.push(.customer(index, .text("what?")), at: now + think) }
                queue.push(.customer(index, .text(workload.pick(variants))), at: now + think + .seconds(2))
            } else if text == Copy.askEmail {
                let reply = customer.typoEmail ? "c\(index) at example dot com" : customer.email
                queue.push(.customer(index, .text(reply)), at: now + think)
            } else if text == Copy.invalidEmail {
                queue.push(.customer(index, .text(" \(customer.email) ")), at: now + think)
            } else if text.hasPrefix("Sorry, I didn't catch that") {
                queue.push(.customer(index, .text("1")), at: now + think)
            } else if text == Copy.slotJustTaken {
                customer.conflictsSeen += 1
            } else if text.hasPrefix("No times available soon") {
                customer.noSlots += 1
                if workload.chance(0.3) { queue.push(.linkBooking(index), at: now + .minutes(workload.int64(in: 1...60))) }
            } else if text.hasPrefix("Sorry, I couldn't complete the booking") {
                customer.apologies += 1
                if workload.chance(0.3) { queue.push(.linkBooking(index), at: now + .minutes(workload.int64(in: 1...60))) }
            } else if text.hasPrefix("I can't change bookings here") {
                customer.manageLinksSeen += 1
            }
        }
    }

    /// Most customers take one of the first rows, so conversations of one agent collide.
    func choose(_ ids: [String]) -> String {
        workload.chance(0.4) ? ids[0] : ids[workload.int(in: 0...(ids.count - 1))]
    }

    // MARK: - Invariants after the liveness phase

    func checkFinalInvariants() {
        summary.conversations = conversations.count
        var confirmedCount = 0
        var keyCounts: [BookingKey: Int] = [:]
        for booking in calendly.bookings where booking.viaAPI {
            if let key = booking.key { keyCounts[key, default: 0] += 1 }
        }
        for (key, count) in keyCounts.sorted(by: { $0.key < $1.key }) where count > 1 {
            summary.duplicates += count - 1
            violate("key \(key) booked \(count) times")
        }
        for (index, conversation) in conversations.enumerated() {
            let customer = customers[index]
            let made = calendly.bookings(ofEmail: customer.email).filter(\.viaAPI)
            if made.count > 1 {
                summary.duplicates += made.count - 1
                violate("\(conversation.id): \(made.count) Calendly bookings for one conversation")
            }
            summary.conflicts += conversation.conflicts
            if customer.confirmations.count > 1 { violate("\(conversation.id): \(customer.confirmations.count) confirmation cards") }
            switch conversation.phase {
            case .confirmed(let invitee):
                confirmedCount += 1
                summary.bookings += 1
                if made.first?.invitee.uri != invitee.uri { violate("\(conversation.id): confirmed without a matching Calendly booking") }
                if customer.confirmations.count != 1 { violate("\(conversation.id): confirmed but the customer saw \(customer.confirmations.count) cards") }
                if let key = made.first?.key, let reference = store.references[key] {
                    if reference.status != .confirmed && reference.status != .canceled {
                        violate("\(conversation.id): reference \(key) is \(reference.status.rawValue) after all webhooks")
                    }
                } else {
                    violate("\(conversation.id): no booking reference for a confirmed booking")
                }
            case .staticLink(let reason):
                summary.fallbacks += 1
                if reason == "no_slots" { summary.noSlots += 1 }
                if reason == "reply_not_understood" || reason == "invalid_email" || reason == "question_not_answered" { summary.notUnderstood += 1 }
                if reason == QuestionRefusal.reason { violate("\(conversation.id): Calendly refused answers the conversation collected") }
                if reason == BookingConversation.canceledBeforeConfirmation {
                    // Booked once, canceled by the customer before the lost reply was reconciled, never booked again.
                    summary.canceledBeforeConfirmation += 1
                    if made.count != 1 || made.contains(where: { !$0.canceled }) {
                        violate("\(conversation.id): \(reason) with \(made.count) Calendly bookings, \(made.filter { !$0.canceled }.count) active")
                    }
                } else if !made.isEmpty {
                    violate("\(conversation.id): a booking exists although the customer was sent to the static link (\(reason))")
                }
                if customer.confirmations.count > 0 { violate("\(conversation.id): confirmation card sent, then static link") }
            case .askingQuestion:
                if customer.answering == .never || customer.abandons { summary.abandoned += 1 } else {
                    summary.stuck += 1
                    violate("\(conversation.id): waiting on a customer who answered (\(conversation.phase.name))")
                }
            case .slotsShown, .askingEmail:
                if customer.abandons { summary.abandoned += 1 } else {
                    summary.stuck += 1
                    violate("\(conversation.id): waiting on a customer who answered (\(conversation.phase.name))")
                }
            case .idle, .notOffered, .checkingAvailability, .booking, .reconciling:
                summary.stuck += 1
                violate("\(conversation.id): stuck in \(conversation.phase.name)")
            }
            if conversation.conflicts > 0, customer.conflictsSeen != conversation.conflicts,
               !(conversation.conflicts >= BookingConversation.maxConflicts && customer.conflictsSeen == conversation.conflicts - 1) {
                violate("\(conversation.id): \(conversation.conflicts) conflicts but the customer was told \(customer.conflictsSeen) times")
            }
        }
        let created = store.analytics.days.values.reduce(0) { $0 + $1.created }
        if created != confirmedCount + summary.canceledBeforeConfirmation {
            violate("analytics counted \(created) bookings, conversations confirmed \(confirmedCount) (+\(summary.canceledBeforeConfirmation) canceled before confirmation)")
        }
        let canceledCounted = store.analytics.days.values.reduce(0) { $0 + $1.canceled }
        let canceledReferences = store.references.values.filter { $0.status == .canceled }.count
        if canceledCounted != canceledReferences { violate("analytics counted \(canceledCounted) cancellations, references show \(canceledReferences)") }
        // Each reschedule is one fact and one count (never a cancellation), whatever order its two webhooks came in.
        let rescheduledCounted = store.analytics.days.values.reduce(0) { $0 + $1.rescheduled }
        let rescheduleFacts = store.references.values.reduce(0) { $0 + ($1.reschedules?.count ?? 0) }
        if rescheduledCounted != summary.rescheduled || rescheduleFacts != summary.rescheduled {
            violate("\(summary.rescheduled) reschedules in Calendly, \(rescheduleFacts) facts, \(rescheduledCounted) counted")
        }
        if let unfinished = store.references.values.first(where: { ($0.reschedules ?? []).contains { $0.to == nil || $0.start == nil } }) {
            violate("reference \(unfinished.key) has half a reschedule after all webhooks")
        }
        // Every booking made through an attributed link maps back to its conversation, once.
        let fallbackCounted = store.analytics.days.values.reduce(0) { $0 + $1.fallbackBooked }
        let fallbackReferences = store.references.values.filter { $0.origin == .fallbackLink }
        if fallbackCounted != summary.linkBookings || fallbackReferences.count != summary.linkBookings {
            violate("\(summary.linkBookings) bookings through the link, \(fallbackReferences.count) references, \(fallbackCounted) counted")
        }
        for reference in fallbackReferences {
            guard let index = Int(reference.conversation.rawValue.dropFirst()), index < conversations.count,
                  case .staticLink = conversations[index].phase else { violate("link booking \(reference.key) maps to no fallen-back conversation"); continue }
        }
    }

    func violate(_ message: String) {
        if summary.violations.count < 50 { summary.violations.append(message) } else if summary.violations.count == 50 { summary.violations.append("…") }
    }
}

extension BookingConversation {
    var confirmedStart: Instant? {
        if case .confirmed(let invitee) = phase { return invitee.start }
        return nil
    }
}

/// HMAC-SHA256 from swift-crypto, in the shape the core's `WebhookSignature` takes.
public enum CryptoHMAC {
    public static let sha256: WebhookSignature.HMAC = { key, message in
        Array(HMAC<SHA256>.authenticationCode(for: message, using: SymmetricKey(data: key)))
    }
}
