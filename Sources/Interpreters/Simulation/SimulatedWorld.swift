import Core
import Crypto
import Effects
import Foundation

/// The deterministic simulator (DESIGN §1, §7 "VOPR"): the production step engine (`StepEngine`) over a
/// real store, a model of Calendly, a virtual clock, seeded streams and injected faults. Same seed and
/// same store kind → same trace digest.
public enum SimulatedWorld {
    public static func run(_ config: SimulationConfig) -> SimulationSummary {
        switch config.store {
        case .memory:
            // Mutated in place (the bodies never throw) and without the journal: see `MemoryRuntimeStore`.
            return SimulationShell(config, store: MemoryRuntimeStore(atomic: false, keepsJournal: false)).run()
        case .sqlite:
            let path = FileManager.default.temporaryDirectory.appendingPathComponent("calendly-sim-\(UUID().uuidString).sqlite").path
            defer { for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) } }
            do {
                return SimulationShell(config, store: try SQLiteStore(path: path)).run()
            } catch {
                var summary = SimulationSummary(seed: config.seed, faults: config.faults.name)
                summary.violations = ["could not open the SQLite store: \(error)"]
                return summary
            }
        }
    }
}

/// The simulated shell around the step engine (`LiveRuntime` is the production one): it performs the
/// engine's Calendly calls against `SimCalendly` with faults, delivers its webhooks through the live
/// intake, wakes up for durable timers, crashes and restarts, and plays the customers, who read what no
/// request waited on from the durable outbox like a poller with `after`.
///
/// Safety phase: faults on, invariants after every step. Liveness phase: faults off, drain the queue;
/// then every conversation must have ended (confirmed / static link) or be waiting on a customer who left.
final class SimulationShell<Store: TransactionalStore> {
    enum Event {
        case trigger(Int)
        case input(Int, BookingConversation.Input, StepOrigin, epoch: Int)
        case customer(Int, CustomerAct)
        /// The customer's chat client polls the conversation's outbox.
        case poll(Int)
        /// The in-process wake-up for the earliest durable timer (lost at a crash; the timer is not).
        case wake(Instant, epoch: Int)
        case webhook(SimCalendly.OutgoingWebhook)
        case externalBooking
        case cancel(CalendlyURI)
        /// The invitee moves the booking in Calendly (two webhooks: canceled + created).
        case reschedule(CalendlyURI)
        /// A customer sent to the static link books through it (its tracking names the conversation).
        case linkBooking(Int)
        case restart(epoch: Int)
        /// The periodic token check of agent n, when its access token is about to expire (`Connection.tokenCheck`,
        /// as `serve`'s minute loop sends it; checks in between would find nothing to do).
        case tokenCheck(Int)
        /// Agent n's Calendly user revokes the grant.
        case revokeGrant(Int)
        /// Calendly disables organization n's webhook subscription.
        case disableSubscription(Int)
        /// `serve`'s periodic webhook subscription check (then the gap's reconciliation).
        case subscriptionCheck
        /// A forged or malformed delivery imitating a genuine one.
        case forged(SimCalendly.OutgoingWebhook, Forgery)
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
        /// The outbox cursor: the last sequence number read, and how many messages were read.
        var outboxSeen: Int64 = 0
        var outboxRead = 0
        /// Messages the engine committed to this conversation's outbox.
        var outboxWritten = 0
    }

    let config: SimulationConfig
    var faults: FaultProfile
    var queue = EventQueue<Event>()
    var now: Instant
    var epoch = 0
    var calendly: SimCalendly
    let engine: StepEngine<Store>
    /// The conversations as last committed (the engine hands each step's state back).
    var conversations: [BookingConversation] = []
    var ids: [ConversationID] = []
    var customers: [Customer] = []
    var awaiting = Set<Int>()
    var setups: [BookingSetup] = []
    /// When each `POST /invitees` reached Calendly, per token (one simulated Calendly user per agent).
    var bookingCalls: [TokenReference: [Instant]] = [:]
    /// The wake-up pending for the earliest durable timer, if any.
    var nextWake: Instant?
    /// Calendly's grants by token; `tokenCheck` events in the queue.
    var grants: [TokenReference: SimGrant] = [:]
    var pendingRefreshes = 0
    var pendingSubscriptionChecks = 0
    var pendingForgeries = 0
    /// Agents whose organization's subscription had a gap and who still need a full reconciliation.
    var owedReconciliation = Set<Int>()
    /// Organizations whose subscription Calendly disables during the run.
    var gapOrganizations = Set<Int>()
    /// Set when Calendly answered the reconciliation running now (`reconcileGap`).
    var reconciliationListed = false
    /// When Calendly sent the latest webhook accepted so far (to count one that arrives after a later one).
    var latestSentDelivered: Instant?
    var workload: SeededGenerator
    var latency: SeededGenerator
    var faultStream: SeededGenerator
    var webhookStream: SeededGenerator
    var forgeryStream: SeededGenerator
    var digest = TraceDigest()
    var summary: SimulationSummary
    let signature: WebhookSignature
    var stepViolations: [String] = []
    var liveness = false

    static var zones: [String] { ["Asia/Jakarta", "America/New_York", "Europe/London", "Australia/Lord_Howe", "Asia/Kolkata", "UTC", "Pacific/Chatham", "America/Sao_Paulo"] }

    init(_ config: SimulationConfig, store: Store) {
        self.config = config
        engine = StepEngine(store: store, quotaTier: config.quotaTier)
        faults = config.faults
        now = config.start
        calendly = SimCalendly()
        workload = SeededGenerator(root: config.seed, stream: "workload")
        latency = SeededGenerator(root: config.seed, stream: "latency")
        faultStream = SeededGenerator(root: config.seed, stream: "faults")
        webhookStream = SeededGenerator(root: config.seed, stream: "webhooks")
        forgeryStream = SeededGenerator(root: config.seed, stream: "forgeries")
        summary = SimulationSummary(seed: config.seed, faults: config.faults.name)
        summary.store = config.store.rawValue
        let key = Array("sim-signing-key-\(config.seed)".utf8)
        signature = WebhookSignature(key: key, hmac: CryptoHMAC.sha256)
    }

    // MARK: - Run

    func run() -> SimulationSummary {
        let clock = ContinuousClock()
        let started = clock.now
        setUp()
        runUntilQuiet()
        checkFinalInvariants()
        let elapsed = clock.now - started
        summary.wallSeconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        summary.digest = digest.hex
        summary.virtualDuration = now - config.start
        summary.violations = stepViolations + summary.violations
        return summary
    }

    func setUp() {
        let agents = max(1, (config.conversations + config.conversationsPerAgent - 1) / config.conversationsPerAgent)
        for agent in 0..<agents {
            let uri = Self.eventTypeURI(agent)
            // Two agents in three have event types that require answers (every question type, locations).
            let eventType = EventType(uri: uri, name: "Consultation \(agent)", durationMinutes: 30, schedulingURL: "https://calendly.com/host\(agent)/consultation",
                                      customQuestions: Self.questions(agent), locations: Self.locations(agent))
            calendly.addEventType(eventType, schedule: SimCalendly.Schedule(dayStartMinute: 60, dayEndMinute: 60 + 30 * config.slotsPerDay))
            // Connected and saved through the engine, as an admin would (a failure there is a violation).
            setups.append(connectAgent(agent, eventType: eventType)
                          ?? BookingSetup(agent: Self.agentID(agent), eventType: eventType, token: TokenReference("sim-token-\(agent)"), confirmationMessage: "See you then!"))
        }
        conversations.reserveCapacity(config.conversations)
        customers.reserveCapacity(config.conversations)
        ids.reserveCapacity(config.conversations)
        for index in 0..<config.conversations {
            ids.append(ConversationID("c\(index)"))
            conversations.append(BookingConversation(id: ids[index]))
            customers.append(Customer(
                channel: workload.pick(Channel.allCases), timeZone: workload.pick(Self.zones), email: "c\(index)@example.com",
                knowsEmail: workload.chance(0.6), abandons: workload.chance(0.01), mumbles: workload.chance(0.04),
                typoEmail: workload.chance(0.1), asksToReschedule: workload.chance(0.05),
                answering: workload.chance(0.85) ? .well : (workload.chance(0.7) ? .badly : .never)
            ))
            // Conversations of all agents interleave; each agent's customers overlap in time and race for slots.
            queue.push(.trigger(index), at: config.start + config.triggerSpacing * Int64(index))
        }
        planSubscriptionWorkload()
        for agent in setups.indices where faultStream.chance(faults.revokedGrants) && !inGapOrganization(agent) {
            queue.push(.revokeGrant(agent), at: config.start + .milliseconds(faultStream.int64(in: 0...max(Int64(1), (safetyEnds - config.start).milliseconds))))
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
            let readiness = offerReadiness(index % setups.count)
            let setup: BookingReadiness
            switch readiness {
            case .ready(var personal):
                personal.knownEmail = customer.knowsEmail ? customer.email : nil
                setup = .ready(personal)
            case .notOffered:
                setup = readiness
            }
            // A stand-in for the host's keyed hash: opaque, stable per conversation, no customer data.
            let attribution = ConversationReference("sim-conversation-\(index)")
            step(index, .triggerMet(BookingConversation.Trigger(setup: setup, channel: customer.channel, timeZone: customer.timeZone,
                                                                attribution: attribution), at: now), .request)
        case .input(let index, let input, let origin, let inputEpoch):
            guard inputEpoch == epoch else { return } // the process that waited for it died
            step(index, input, origin)
        case .customer(let index, let act):
            switch act {
            case .text(let text): step(index, .customerReplied(text, at: now), .request)
            case .row(let id): step(index, .customerChoseRow(id, at: now), .request)
            }
        case .poll(let index):
            poll(index)
        case .tokenCheck(let agent):
            tokenCheck(agent)
        case .revokeGrant(let agent):
            revokeGrant(agent)
        case .disableSubscription(let organization):
            disableSubscription(organization)
        case .subscriptionCheck:
            subscriptionCheck()
        case .forged(let webhook, let forgery):
            deliverForgery(forgery, imitating: webhook)
        case .wake(let due, let wakeEpoch):
            guard wakeEpoch == epoch, due == nextWake else { return } // superseded, or lost with its process
            nextWake = nil
            fireDueTimers()
        case .webhook(let webhook):
            deliver(webhook)
        case .externalBooking:
            bookExternally()
        case .cancel(let invitee):
            // Calendly offers no cancellation once the meeting has started.
            if let booking = calendly.booking(of: invitee), booking.invitee.start > now, calendly.cancel(invitee, now: now) { summary.canceled += 1 }
            flushWebhooks()
        case .reschedule(let invitee):
            reschedule(invitee)
        case .linkBooking(let index):
            bookThroughLink(index)
        case .restart(let restartEpoch):
            guard restartEpoch == epoch else { return } // it crashed again before this restart
            summary.restarts += 1
            // Recovery, like production's `recover`: every conversation that was waiting on Calendly resumes
            // from its stored state, then the durable timers that fell due while the process was down fire.
            for index in awaiting.sorted() {
                step(index, .recovered(at: now), .background)
                guard restartEpoch == epoch else { return }
            }
            fireDueTimers()
        }
    }

    // MARK: - The runtime step: the production engine

    func step(_ index: Int, _ input: BookingConversation.Input, _ origin: StepOrigin) {
        summary.steps += 1
        let taken: StepEngine<Store>.ConversationStep?
        do { taken = try engine.conversation(ids[index], input, origin: origin, at: now) } catch {
            violate("\(ids[index]): the store failed a step: \(error)")
            return
        }
        guard let taken else { return } // a timer that already fired
        let state = taken.state
        conversations[index] = state
        digest.mix(Int64(index))
        digest.mix(TraceText.input(input))
        for effect in taken.effects { digest.mix(TraceText.effect(effect)) }
        if ids[index] == config.traced {
            summary.trace.append("\(now.iso8601) \(TraceText.input(input)) → \(taken.effects.map(TraceText.effect).joined(separator: "; ")) ⇒ \(state.phase.name)")
        }
        for violation in state.checkInvariants() where stepViolations.count < 50 { stepViolations.append(violation.message) }
        if state.phase.awaitsCalendly { awaiting.insert(index) } else { awaiting.remove(index) }
        if !taken.outboxed.isEmpty {
            customers[index].outboxWritten += taken.outboxed.count
            summary.outboxMessages += taken.outboxed.count
            queue.push(.poll(index), at: now + .milliseconds(latency.int64(in: 200...5_000)))
        }
        if let due = taken.earliestTimer { wake(at: due) }
        let outcome = taken.outcome
        if taken.effects.contains(where: { if case .calendly(_, .createInvitee) = $0 { true } else { false } }),
           !outcome.external.contains(where: { if case .calendly(_, .createInvitee) = $0 { true } else { false } }) {
            summary.quotaHolds += 1
        }
        for followUp in outcome.followUps {
            switch followUp {
            case .conversation(let id, let next):
                guard let target = self.index(of: id) else { continue }
                queue.push(.input(target, next, target == index ? origin.continuation : .background, epoch: epoch), at: now)
            case .config(let agent, let next):
                runConfig(agent, next)
            case .connection(let agent, let next):
                runConnection(agent, next)
            }
        }
        for effect in outcome.external {
            guard dispatch(effect, index, origin.continuation) else { return } // crashed: the rest of this step's effects never ran
        }
    }

    func index(of id: ConversationID) -> Int? {
        guard let index = Int(id.rawValue.dropFirst()), index >= 0, index < ids.count else { return nil }
        return index
    }

    /// Performs one outgoing effect. Returns false when the process crashed before it.
    func dispatch(_ effect: Effect, _ index: Int, _ origin: StepOrigin) -> Bool {
        switch effect {
        case .calendly(let request, let call):
            if faultStream.chance(faults.crash) { crash(); return false }
            summary.calendlyCalls += 1
            let (delay, reply) = perform(call)
            queue.push(.input(index, .calendlyReplied(request, reply, at: now + delay), origin, epoch: epoch), at: now + delay)
            flushWebhooks()
        case .send(let message):
            // Only a request's response carries a message to the customer (as in `LiveRuntime`, whose
            // background drives hand theirs to nobody): one left here by a step no request waits on is lost.
            if origin == .request { customerSees(message.content, index) } else {
                summary.messagesLost += 1
                violate("\(ids[index]): a message no request waited on reached neither the outbox nor the customer")
            }
        case .schedule, .emit, .store, .notify, .log, .reject:
            break // timers are durable rows (the engine wrote them); the rest stayed inside the step
        }
        return true
    }

    // MARK: - Durable timers

    /// Makes sure a wake-up is pending for `due` or earlier.
    func wake(at due: Instant) {
        if let nextWake, nextWake <= due { return }
        nextWake = due
        queue.push(.wake(due, epoch: epoch), at: max(due, now))
    }

    /// Fires every durable timer due now (as production's `fireDueTimers`), then waits for the next one.
    func fireDueTimers() {
        let firing = epoch
        do {
            for timer in try engine.dueTimers(at: now, limit: 10_000) {
                guard let index = index(of: timer.conversation) else { continue }
                summary.timersFired += 1
                step(index, .timerFired(timer.timer, at: now), .timer(timer.timer))
                guard firing == epoch else { return } // crashed while firing: the restart fires the rest
            }
            if let next = try engine.nextTimerDue() { wake(at: next) }
        } catch {
            violate("reading due timers failed: \(error)")
        }
    }

    // MARK: - The outbox, read like a poller

    /// The customer's client reads the outbox after its cursor: every message once, in order.
    func poll(_ index: Int) {
        let messages: [OutboxMessage]
        do { messages = try engine.outbox(ids[index], after: customers[index].outboxSeen, limit: 100) } catch {
            violate("\(ids[index]): reading the outbox failed: \(error)")
            return
        }
        for message in messages {
            if message.seq != customers[index].outboxSeen + 1 {
                violate("\(ids[index]): outbox message \(message.seq) after \(customers[index].outboxSeen) (missed or out of order)")
            }
            customers[index].outboxSeen = message.seq
            customers[index].outboxRead += 1
            digest.mix("outbox:\(index):\(message.seq)")
            customerSees(message.message.content, index)
        }
        if messages.count == 100 { queue.push(.poll(index), at: now + .milliseconds(200)) }
    }

    /// The process dies: what it held in memory (replies in flight, wake-ups) is gone; the store is not.
    func crash() {
        summary.crashes += 1
        epoch += 1
        nextWake = nil
        queue.push(.restart(epoch: epoch), at: now + .seconds(2))
    }

    // MARK: - Calendly with faults

    func perform(_ call: CalendlyCall) -> (Span, CalendlyReply) {
        let base = latency.int64(in: 20...200) + (faults.latencySpreadMs > 0 ? latency.int64(in: 0...faults.latencySpreadMs) : 0)
        let budget = call.budget
        let tookTooLong = base > budget.milliseconds || faultStream.chance(faults.timeout)
        let delay = tookTooLong ? budget : .milliseconds(base)
        if let token = Self.token(of: call), unauthorized(token) { return (delay, .failed(.unauthorized)) }
        if faultStream.chance(faults.rateLimit) { return (delay, .failed(.rateLimited(retryAfter: .seconds(30)))) }
        if faultStream.chance(faults.serverError) { return (delay, .failed(.serverError(status: 503))) }
        switch call {
        case .availableTimes(_, let eventType, let from, let to):
            if tookTooLong { return (delay, .failed(.unreachable)) }
            switch calendly.availableTimes(eventType: eventType, from: from, to: to, now: now) {
            case .success(let slots): return (delay, .availableTimes(slots))
            case .failure(let failure): return (delay, .failed(failure))
            }
        case .createInvitee(let token, let key, let request):
            bookingCalls[token, default: []].append(now)
            let result = calendly.createInvitee(request, key: key, now: now)
            switch result {
            case .success(let invitee):
                if faultStream.chance(faults.cancellation) {
                    // Some customers cancel from Calendly's confirmation email at once: while a lost reply is still being looked up.
                    let after = workload.chance(0.3) ? Span.seconds(workload.int64(in: 1...30)) : .minutes(workload.int64(in: 1...120))
                    queue.push(.cancel(invitee.uri), at: now + after)
                }
                if faultStream.chance(faults.cancellation) { queue.push(.reschedule(invitee.uri), at: now + .minutes(workload.int64(in: 1...120))) }
                if tookTooLong || faultStream.chance(faults.lostResponse) { revokeWhileInDoubt(token); return (budget, .outcomeUnknown) }
                if faultStream.chance(faults.serverErrorAfterBooking) { revokeWhileInDoubt(token); return (delay, .failed(.serverError(status: 502))) }
                return (delay, .inviteeCreated(invitee))
            case .failure(let failure):
                if tookTooLong { revokeWhileInDoubt(token) }
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

    /// Sometimes the grant dies while a booking's outcome is in doubt: every lookup then gets 401, and only
    /// the reconciliation bound ends the wait (issue 11 defect 7 — without it, a lookup every five minutes forever).
    func revokeWhileInDoubt(_ token: TokenReference) {
        guard faultStream.chance(faults.revokedGrants), let agent = agentNumber(token.rawValue), !inGapOrganization(agent) else { return }
        queue.push(.revokeGrant(agent), at: now + .milliseconds(faultStream.int64(in: 1...500)))
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
        guard let booking = calendly.booking(of: invitee), !booking.canceled, booking.invitee.start > now else { return }
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
            guard calendlySends(webhook) else { summary.webhooksNotSent += 1; continue }
            planForgery(before: webhook)
            let spread = faults.webhookSpreadMs > 0 ? webhookStream.int64(in: 0...faults.webhookSpreadMs) : 0
            queue.push(.webhook(webhook), at: now + .milliseconds(50 + spread))
            if webhookStream.chance(faults.duplicateWebhook) {
                summary.duplicateWebhooks += 1
                queue.push(.webhook(webhook), at: now + .milliseconds(100 + webhookStream.int64(in: 0...max(1, faults.webhookSpreadMs * 2))))
            }
        }
    }

    /// A delivery through the live intake: `WebhookIntake.judge`, then the engine's dedupe and notice step.
    func deliver(_ webhook: SimCalendly.OutgoingWebhook) {
        summary.webhooksDelivered += 1
        let delivery = WebhookIntake.Delivery(signatureHeader: signature.header(for: webhook.body, at: now), body: webhook.body)
        switch WebhookIngest.judge(delivery, at: now, signature: signature) {
        case .rejected(let reason), .deadLettered(let reason):
            summary.webhooksRejected += 1
            digest.mix("webhook-rejected:\(reason)")
        case .ignored(let reason):
            digest.mix("webhook-ignored:\(reason)")
        case .duplicate:
            digest.mix("webhook-duplicate")
        case .accepted(let notice):
            if let latest = latestSentDelivered, webhook.createdAt < latest { summary.webhooksOutOfOrder += 1 }
            latestSentDelivered = max(latestSentDelivered ?? webhook.createdAt, webhook.createdAt)
            if let traced = config.traced, let index = index(of: traced), notice.email == customers[index].email {
                summary.trace.append("\(now.iso8601) webhook \(notice.kind.rawValue) \(notice.invitee)\(notice.tracking == nil ? "" : " (through the link)")")
            }
            let outcome: LocalEffects.Outcome?
            do { outcome = try engine.notice(notice, at: now) } catch {
                violate("webhook \(notice.delivery) failed: \(error)")
                return
            }
            guard let outcome else { summary.webhooksDeduplicated += 1; digest.mix("webhook-duplicate"); return }
            digest.mix("webhook:\(notice.delivery)")
            for followUp in outcome.followUps {
                switch followUp {
                case .conversation(let id, let input):
                    if let index = index(of: id) { step(index, input, .background) }
                case .config(let agent, let input):
                    runConfig(agent, input)
                case .connection(let agent, let input):
                    runConnection(agent, input)
                }
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

    /// Everything the final invariants read from the store: every booking reference, and every agent's analytics.
    func finalStoreView() throws -> (references: [BookingKey: BookingReference], days: [Analytics.Counts]) {
        let agents = setups.map(\.agent)
        return try engine.store.transaction { tx in
            var references: [BookingKey: BookingReference] = [:]
            for key in tx.referenceKeys(recordedBefore: Instant(millisecondsSince1970: Int64.max / 2)) {
                if let reference = tx.reference(key) { references[key] = reference }
            }
            var days: [Analytics.Counts] = []
            for agent in agents {
                let analytics = try tx.analytics(agent: agent, from: CivilDate(year: 1970, month: 1, day: 1), to: CivilDate(year: 9999, month: 12, day: 31))
                days += analytics.days.sorted { $0.key < $1.key }.map(\.value)
            }
            return (references, days)
        }
    }

    func checkFinalInvariants() {
        summary.conversations = conversations.count
        let view: (references: [BookingKey: BookingReference], days: [Analytics.Counts])
        do { view = try finalStoreView() } catch { return violate("reading the store failed: \(error)") }
        let references = view.references
        // Every message the core committed to an outbox was read by its customer exactly once, in order
        // (`poll` checks the order; here nothing is left unread). Then: every conversation ends.
        for index in conversations.indices {
            poll(index)
            let customer = customers[index]
            if customer.outboxRead != customer.outboxWritten {
                violate("\(ids[index]): \(customer.outboxWritten) outbox messages written, the customer read \(customer.outboxRead)")
            }
        }
        checkBookingQuota()
        checkGrants()
        checkSubscriptions()
        var states = TraceDigest()
        for conversation in conversations { states.mix(String(describing: conversation)) }
        summary.stateDigest = states.hex
        var confirmedCount = 0
        var createdButNotConfirmed = 0
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
                if let key = made.first?.key, let reference = references[key] {
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
                if reason == BookingConversation.bookingUnconfirmed { summary.reconciliationsGivenUp += 1 }
                if reason == BookingConversation.canceledBeforeConfirmation {
                    // Booked once, canceled by the customer before the lost reply was reconciled, never booked again.
                    summary.canceledBeforeConfirmation += 1
                    createdButNotConfirmed += 1
                    if made.count != 1 || made.contains(where: { !$0.canceled }) {
                        violate("\(conversation.id): \(reason) with \(made.count) Calendly bookings, \(made.filter { !$0.canceled }.count) active")
                    }
                } else if reason == BookingConversation.bookingUnconfirmed, !made.isEmpty {
                    // Reconciliation gave up; the booking's webhooks came later. An active one would have been confirmed
                    // late (a card, phase confirmed); one the customer canceled meanwhile stays here, counted as created.
                    if made.count != 1 || made.contains(where: { !$0.canceled }) {
                        violate("\(conversation.id): \(reason) with \(made.count) Calendly bookings, \(made.filter { !$0.canceled }.count) active")
                    }
                    createdButNotConfirmed += 1
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
            case .notOffered:
                // The agent's grant was revoked and the connection learnt it before this trigger.
                summary.notOffered += 1
                if !made.isEmpty { violate("\(conversation.id): a booking exists although booking was not offered") }
            case .idle, .checkingAvailability, .booking, .reconciling:
                summary.stuck += 1
                violate("\(conversation.id): stuck in \(conversation.phase.name)")
            }
            if conversation.conflicts > 0, customer.conflictsSeen != conversation.conflicts,
               !(conversation.conflicts >= BookingConversation.maxConflicts && customer.conflictsSeen == conversation.conflicts - 1) {
                violate("\(conversation.id): \(conversation.conflicts) conflicts but the customer was told \(customer.conflictsSeen) times")
            }
        }
        checkCancellationsReached(references)
        let created = view.days.reduce(0) { $0 + $1.created }
        if created != confirmedCount + createdButNotConfirmed {
            violate("analytics counted \(created) bookings, conversations confirmed \(confirmedCount) (+\(createdButNotConfirmed) canceled before confirmation)")
        }
        let canceledCounted = view.days.reduce(0) { $0 + $1.canceled }
        let canceledReferences = references.values.filter { $0.status == .canceled }.count
        if canceledCounted != canceledReferences { violate("analytics counted \(canceledCounted) cancellations, references show \(canceledReferences)") }
        // Each reschedule is one fact and one count (never a cancellation), whatever order its two webhooks came in.
        let rescheduledCounted = view.days.reduce(0) { $0 + $1.rescheduled }
        let rescheduleFacts = references.values.reduce(0) { $0 + ($1.reschedules?.count ?? 0) }
        if rescheduledCounted != summary.rescheduled || rescheduleFacts != summary.rescheduled {
            violate("\(summary.rescheduled) reschedules in Calendly, \(rescheduleFacts) facts, \(rescheduledCounted) counted")
        }
        if let unfinished = references.values.first(where: { ($0.reschedules ?? []).contains { $0.to == nil || $0.start == nil } }) {
            violate("reference \(unfinished.key) has half a reschedule after all webhooks")
        }
        // Every booking made through an attributed link maps back to its conversation, once.
        let fallbackCounted = view.days.reduce(0) { $0 + $1.fallbackBooked }
        let fallbackReferences = references.values.filter { $0.origin == .fallbackLink }
        if fallbackCounted != summary.linkBookings || fallbackReferences.count != summary.linkBookings {
            violate("\(summary.linkBookings) bookings through the link, \(fallbackReferences.count) references, \(fallbackCounted) counted")
        }
        for reference in fallbackReferences {
            guard let index = Int(reference.conversation.rawValue.dropFirst()), index < conversations.count,
                  case .staticLink = conversations[index].phase else { violate("link booking \(reference.key) maps to no fallen-back conversation"); continue }
        }
    }

    /// Every booking of ours canceled at Calendly reads canceled in its reference, whether its
    /// `invitee.canceled` came as a webhook or only through reconciliation after a subscription's gap.
    /// (Not for an agent disconnected by then: nothing reads Calendly for it any more.)
    func checkCancellationsReached(_ references: [BookingKey: BookingReference]) {
        var connected: [Int: Bool] = [:]
        for booking in calendly.bookings where booking.viaAPI && booking.canceled && booking.rescheduledTo == nil {
            guard let key = booking.key, let reference = references[key], let agent = Self.agent(ofEventType: booking.eventType) else { continue }
            if connected[agent] == nil { connected[agent] = agentState(Self.agentID(agent))?.0.account != nil }
            guard connected[agent] == true, reference.status != .canceled else { continue }
            violate("reference \(key) is \(reference.status.rawValue), its booking was canceled at Calendly")
        }
    }

    /// No Calendly user's booking cap was exceeded at Calendly: every window of the tier, at every call.
    func checkBookingQuota() {
        guard let tier = config.quotaTier else { return }
        for (token, calls) in bookingCalls.sorted(by: { $0.key.rawValue < $1.key.rawValue }) {
            for window in tier.windows {
                var first = 0
                for (last, at) in calls.enumerated() {
                    while calls[first] <= at - window.span { first += 1 }
                    if last - first + 1 > window.limit {
                        return violate("\(token.rawValue): \(last - first + 1) bookings within \(window.span.milliseconds) ms (cap \(window.limit))")
                    }
                }
            }
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
