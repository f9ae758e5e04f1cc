import Core
import Effects
import Interpreters
import PropertyBased
import Testing

/// Reconciliation (issue 6 item 2). The window policy asks Calendly about exactly the references that
/// may be out of date; and whatever webhooks were lost, repeated or late, reading Calendly back (once or
/// several times) leaves the references and counts where "every webhook delivered once" leaves them.
/// PropertyBased prints the seed of a failing run (reproduce with `.fixedSeed`).
@Suite struct ReconciliationProperties {
    static let signature = WebhookSignature(key: Array("whsec-test".utf8), hmac: CryptoHMAC.sha256)
    static let agent: AgentID = "agent"
    static let eventType = EventType(uri: "https://api.calendly.com/event_types/ET", name: "Call", schedulingURL: "https://calendly.com/x/call")

    // MARK: - (a) The window

    static let now = Instant(iso8601: "2026-11-25T12:00:00Z")!

    /// One reference, built by its own reducer: (status 0…7, minutes since recorded, start offset in
    /// hours from now, reschedule offset in hours). Status: 0 pending, 1 created, 2 confirmed,
    /// 3 confirmed then rescheduled, 4 canceled, 5 not booked, 6 rescheduled but only the old half
    /// (invitee.canceled) seen, 7 that and then the new booking canceled.
    static let referenceShapes = zip(Gen.int(in: 0...7), Gen.int(in: 0...30), Gen.int(in: -60...72), Gen.int(in: -60...72)).array(of: 0...8)

    static func reference(_ index: Int, status: Int, minutesAgo: Int, startHours: Int, movedHours: Int) -> BookingReference? {
        let start = now + .hours(Int64(startHours))
        let key = BookingKey("conv-\(index)#1")
        let invitee = Invitee(uri: CalendlyURI("https://api.calendly.com/scheduled_events/EV\(index)/invitees/IN\(index)"),
                              eventURI: CalendlyURI("https://api.calendly.com/scheduled_events/EV\(index)"), email: "guest\(index)@example.com",
                              start: start, cancelURL: "", rescheduleURL: "")
        var reference: BookingReference?
        _ = BookingReference.reduce(&reference, .intentRecorded(BookingIntent(key: key, agent: agent, conversation: ConversationID("conv-\(index)"),
                                                                               eventType: eventType.uri, start: start, email: invitee.email,
                                                                               recordedAt: now - .minutes(Int64(minutesAgo)))))
        func notice(_ kind: InviteeNotice.Kind, _ who: Invitee, rescheduled: Bool = false, new: CalendlyURI? = nil, old: CalendlyURI? = nil) -> InviteeNotice {
            InviteeNotice(kind: kind, delivery: DeliveryID("\(kind.rawValue)\(who.uri)"), invitee: who.uri, event: who.eventURI, eventType: eventType.uri,
                          email: who.email, start: who.start, cancelURL: "", rescheduleURL: "", rescheduled: rescheduled, sentAt: now,
                          newInvitee: new, oldInvitee: old)
        }
        if status == 5 { _ = BookingReference.reduce(&reference, .intentSettled(.notBooked(reason: "slot_taken"), at: now)) }
        if (1...4).contains(status) || status >= 6 { _ = BookingReference.reduce(&reference, .intentSettled(.booked(invitee), at: now)) }
        if (2...4).contains(status) || status >= 6 { _ = BookingReference.reduce(&reference, .notice(notice(.created, invitee), at: now)) }
        var moved = invitee
        moved.uri = CalendlyURI(invitee.uri.rawValue + "b")
        moved.eventURI = CalendlyURI(invitee.eventURI.rawValue + "b")
        moved.start = now + .hours(Int64(movedHours))
        if status == 3 || status >= 6 {
            _ = BookingReference.reduce(&reference, .notice(notice(.canceled, invitee, rescheduled: true, new: moved.uri), at: now))
        }
        if status == 3 { _ = BookingReference.reduce(&reference, .notice(notice(.created, moved, old: invitee.uri), at: now)) }
        if status == 7 { _ = BookingReference.reduce(&reference, .notice(notice(.canceled, moved), at: now)) }
        if status == 4 { _ = BookingReference.reduce(&reference, .notice(notice(.canceled, invitee), at: now)) }
        return reference
    }

    /// Whether Calendly may know something about this reference that we do not, stated from the
    /// reference's point of view (not the policy's code): the time to look at, or nil.
    static func shouldLookAt(_ reference: BookingReference, scope: BookingReconciliation.Scope) -> Instant? {
        // A reschedule known only by its old half: where the old booking was, whatever happened since.
        if scope == .all, let moves = reference.reschedules, moves.contains(where: { $0.start == nil }) { return reference.start }
        let stale = now - reference.recordedAt >= BookingReconciliation.staleAfter
        if reference.status == .pending || reference.status == .created { return scope == .all || stale ? reference.start : nil }
        // A confirmed booking can still be canceled while it lies ahead — at the time it was moved to — or
        // was, while no webhook arrived, if its time came within the gap a full run looks back over.
        if reference.status == .confirmed, scope == .all {
            let current = reference.reschedules?.last?.start ?? reference.start
            return current >= now - BookingReconciliation.gapLookback ? current : nil
        }
        return nil
    }

    @Test func theWindowCoversExactlyTheReferencesThatMayBeOutOfDate() async {
        await propertyCheck(count: 400, input: Self.referenceShapes, Gen.int(in: 0...1)) { shapes, scopeIndex in
            let scope: BookingReconciliation.Scope = scopeIndex == 0 ? .stale : .all
            let references = shapes.enumerated().compactMap { index, shape in
                Self.reference(index, status: shape.0, minutesAgo: shape.1, startHours: shape.2, movedHours: shape.3)
            }
            let expected = references.compactMap { Self.shouldLookAt($0, scope: scope) }
            let window = BookingReconciliation.window(for: references, scope: scope, now: Self.now)
            let context = "\(scope) \(references.map { "\($0.status.rawValue)@\($0.currentStart) rec \($0.recordedAt)" })"
            guard let window else {
                #expect(expected.isEmpty, "no window although \(expected) need a look: \(context)")
                return
            }
            #expect(!expected.isEmpty, "a window \(window) although nothing needs a look: \(context)")
            for start in expected { #expect(window.from <= start && start < window.to, "\(start) outside \(window): \(context)") }
            // Tight: it starts at one of those bookings and ends a minute after one (Calendly filters by start).
            #expect(expected.contains(window.from) && expected.contains(window.to - .minutes(1)), "\(window) wider than needed: \(context)")
        }
    }

    // MARK: - (b) Idempotence against "every webhook delivered once"

    static let bookedAt = Instant(iso8601: "2026-11-25T03:00:00Z")!
    /// When every webhook, delivery and reconciliation is processed: after all of Calendly's changes.
    static let later = bookedAt + .hours(2)
    static let attribution: ConversationReference = "fallback-ref-0001"

    /// What happens to one booking in Calendly after it is made.
    enum Fate: Int, CaseIterable { case kept, canceled, rescheduled, rescheduledThenCanceled }

    struct Scenario {
        var intents: [BookingIntent]
        /// The reply of each chat booking that was not lost.
        var replies: [(BookingKey, Invitee)]
        var offer: FallbackOffer
        var calendly: SimCalendly
        var webhooks: [SimCalendly.OutgoingWebhook]
        var foreign: Set<CalendlyURI>
    }

    /// Chat bookings (fate, reply received), bookings made elsewhere in Calendly (fate) and bookings made
    /// through the conversation's attributed link (fate), all of the action's event type. Booking j starts on
    /// 26 Nov at 01:00 + 30 min·j; a reschedule moves a booking a day or two later, outside every reference's
    /// own time. The first chat booking is kept. The handed-out link widens the window over the link horizon
    /// (`BookingReconciliation.linkHorizon`), so link and foreign bookings are read back too.
    static func scenario(chat: [(Int, Int)], foreign: [Int], linked: [Int]) -> Scenario {
        var calendly = SimCalendly()
        calendly.addEventType(eventType)
        var intents: [BookingIntent] = [], replies: [(BookingKey, Invitee)] = [], foreignInvitees = Set<CalendlyURI>()
        let offer = FallbackOffer(reference: attribution, agent: agent, conversation: "conv-link", eventType: eventType.uri, offeredAt: bookedAt)
        var made: [(Invitee, Fate)] = []
        let plans = chat.enumerated().map { (0, $0.offset == 0 ? Fate.kept.rawValue : $0.element.0, $0.element.1 == 1) }
            + foreign.map { (1, $0, false) } + linked.map { (2, $0, false) }
        for (j, plan) in plans.enumerated() {
            let (origin, fate, replied) = plan
            // Every booking on the action's event type (a link books that type; a foreign booking there is
            // read back too and must be ignored), each at its own time.
            let start = Instant(iso8601: "2026-11-26T01:00:00Z")! + .minutes(30 * Int64(j))
            let at = bookedAt + .minutes(Int64(j))
            let email = origin == 1 ? "someone\(j)@example.org" : "guest\(j)@example.com"
            let type = eventType.uri
            let request = InviteeRequest(eventType: type, start: start, email: email, name: nil, timeZone: "UTC")
            let key = BookingKey("conv-\(j)#1")
            if origin == 0 {
                intents.append(BookingIntent(key: key, agent: agent, conversation: ConversationID("conv-\(j)"), eventType: eventType.uri,
                                             start: start, email: email, recordedAt: at))
            }
            let tracking = origin == 2 ? BookingTracking(utmSource: FallbackLink.source, utmContent: attribution.rawValue) : nil
            guard case .success(let invitee) = calendly.createInvitee(request, key: origin == 0 ? key : nil, now: at, viaAPI: origin == 0,
                                                                      tracking: tracking) else { continue }
            if origin == 0, replied { replies.append((key, invitee)) }
            if origin == 1 { foreignInvitees.insert(invitee.uri) }
            made.append((invitee, Fate(rawValue: fate) ?? .kept))
        }
        for (j, (invitee, fate)) in made.enumerated() {
            let at = bookedAt + .minutes(20 + Int64(j))
            switch fate {
            case .kept: break
            case .canceled: calendly.cancel(invitee.uri, now: at)
            case .rescheduled, .rescheduledThenCanceled:
                let target = Instant(iso8601: "2026-11-27T01:00:00Z")! + .days(Int64(j % 2)) + .minutes(30 * Int64(j))
                guard case .success(let moved) = calendly.reschedule(invitee.uri, to: target, now: at) else { continue }
                if foreignInvitees.contains(invitee.uri) { foreignInvitees.insert(moved.uri) }
                if fate == .rescheduledThenCanceled { calendly.cancel(moved.uri, now: at + .minutes(30)) }
            }
        }
        let webhooks = calendly.drainOutbox()
        return Scenario(intents: intents, replies: replies, offer: offer, calendly: calendly, webhooks: webhooks, foreign: foreignInvitees)
    }

    /// The intents recorded, the replies that came settled, the link handed out.
    static func start(_ scenario: Scenario) -> InMemoryStore {
        var store = InMemoryStore()
        _ = store.commit(scenario.intents.map { .store(.recordIntent($0)) }, at: bookedAt)
        _ = store.commit(scenario.replies.map { .store(.settleIntent($0.0, .booked($0.1), at: bookedAt)) }, at: bookedAt)
        _ = store.commit([.store(.recordFallbackOffer(scenario.offer))], at: bookedAt)
        return store
    }

    static func deliver(_ webhook: SimCalendly.OutgoingWebhook, to store: inout InMemoryStore) {
        let delivery = WebhookIntake.Delivery(signatureHeader: signature.header(for: webhook.body, at: later), body: webhook.body)
        _ = store.commit(WebhookIntake.reduce(&store.intake, .delivered(delivery, at: later), signature: signature), at: later)
    }

    /// A connected agent, reached through the connection reducer.
    static func connected() -> Connection {
        var connection = Connection(agent: agent)
        let user: CalendlyURI = "https://api.calendly.com/users/HOST", organization: CalendlyURI = "https://api.calendly.com/organizations/ORG"
        _ = Connection.reduce(&connection, .connectRequested("state", webhookURL: "", at: bookedAt))
        let exchange = Connection.reduce(&connection, .authorizationGranted("state", code: "code", at: bookedAt))
        let grant = TokenGrant(token: "tokref", owner: user, organization: organization, scopes: Connection.requiredScopes, expiresAt: later + .hours(2))
        let loading = Connection.reduce(&connection, .calendlyReplied(requestID(exchange)!, .tokenGranted(grant), at: bookedAt))
        _ = Connection.reduce(&connection, .calendlyReplied(requestID(loading)!,
                                                            .user(CalendlyUser(uri: user, email: "host@example.com", organization: organization,
                                                                               schedulingURL: "https://calendly.com/host")), at: bookedAt))
        return connection
    }

    static func requestID(_ effects: [Effect]) -> RequestID? {
        effects.lazy.compactMap { if case .calendly(let request, _) = $0 { return request } else { return nil } }.first
    }

    /// One reconciliation run as the runtime drives it: the window from the open references, the
    /// connection's call answered by Calendly, the reply's notices committed. Nil when no window.
    static func reconcile(_ connection: inout Connection, _ calendly: SimCalendly, _ store: inout InMemoryStore) -> LocalEffects.Outcome? {
        let open = store.references.values.sorted { $0.key < $1.key }
        // As the runtime does: the event types of handed-out links widen the look to link bookings.
        let linkTypes = Set(store.fallbackOffers.values.map(\.eventType)).sorted()
        guard let window = BookingReconciliation.window(for: open, linkEventTypes: linkTypes, scope: .all, now: later) else { return nil }
        let asked = Connection.reduce(&connection, .reconcileDue(window, at: later))
        guard let request = requestID(asked), case .calendly(_, .listScheduledInvitees(_, _, let from, let to, let eventTypes))? = asked.first else {
            Issue.record("no listing asked for: \(asked)")
            return nil
        }
        let reply = Connection.reduce(&connection, .calendlyReplied(request, .scheduledInvitees(calendly.scheduledInvitees(from: from, to: to, eventTypes: eventTypes)), at: later))
        return store.commit(reply, at: later)
    }

    /// The references that differ, each as (got, expected).
    static func difference(_ got: [BookingKey: BookingReference], _ expected: [BookingKey: BookingReference]) -> String {
        Set(got.keys).union(expected.keys).sorted().filter { got[$0] != expected[$0] }
            .map { "\($0): got \(got[$0].map(String.init(describing:)) ?? "nothing"), expected \(expected[$0].map(String.init(describing:)) ?? "nothing")" }
            .joined(separator: "; ")
    }

    static let fates = Gen.int(in: 0...3)
    static let worlds = zip(zip(fates, Gen.int(in: 0...1)).array(of: 1...4), fates.array(of: 0...2), fates.array(of: 0...1))
    /// Early deliveries (indices into the webhooks, duplicates and any order), then per run the late ones.
    static let deliveries = zip(Gen.int(in: 0...99).array(of: 0...16), Gen.int(in: 0...99).array(of: 0...5).array(of: 1...3))

    @Test func lostDuplicatedOrLateWebhooksPlusReconciliationEndWhereEveryWebhookOnceEnds() async {
        await propertyCheck(count: 300, input: Self.worlds, Self.deliveries) { world, deliveries in
            let scenario = Self.scenario(chat: world.0, foreign: world.1, linked: world.2)
            var canonical = Self.start(scenario)
            for webhook in scenario.webhooks { Self.deliver(webhook, to: &canonical) }
            let (early, runs) = deliveries
            let count = scenario.webhooks.count
            let context = "world \(world) early \(early.map { $0 % count }) runs \(runs.map { $0.map { $0 % count } })"

            var store = Self.start(scenario)
            var connection = Self.connected()
            for pick in early { Self.deliver(scenario.webhooks[pick % count], to: &store) }
            for late in runs {
                if let outcome = Self.reconcile(&connection, scenario.calendly, &store) {
                    #expect(!outcome.telemetry.contains { $0.name == "calendly_webhook_rejected" }, "reconciliation reported an unknown event: \(context)")
                }
                for pick in late { Self.deliver(scenario.webhooks[pick % count], to: &store) }
            }
            #expect(store.references == canonical.references, "references differ: \(Self.difference(store.references, canonical.references)) — \(context)")
            #expect(store.analytics == canonical.analytics, "counts differ: \(context)")
            let ours = Set(store.references.values.flatMap(\.knownInvitees))
            #expect(ours.isDisjoint(with: scenario.foreign), "a foreign booking became a reference: \(context)")

            // Once more: nothing left to learn, so nothing happens but a log line.
            let before = store
            if let again = Self.reconcile(&connection, scenario.calendly, &store) {
                #expect(again.telemetry.isEmpty && again.followUps.isEmpty && again.external.isEmpty && again.rejections.isEmpty,
                        "a repeated run had effects: \(again.telemetry) \(again.followUps): \(context)")
            }
            #expect(store.references == before.references && store.analytics == before.analytics, "a repeated run changed the store: \(context)")
        }
    }

    /// Without a subscription nothing but reconciliation tells of cancellations: every run is full.
    @Test func anAgentWithoutASubscriptionAlwaysGetsAFullRun() {
        #expect(BookingReconciliation.scope(.stale, subscribed: true) == .stale)
        #expect(BookingReconciliation.scope(.stale, subscribed: false) == .all)
        #expect(BookingReconciliation.scope(.all, subscribed: true) == .all)
    }

    // MARK: - (c) Bounded reconciliation (issue 11 defect 7)

    /// A booking whose reply was lost, then whatever the lookups do: each step is (what happens 0…5, seconds
    /// until then). 0–3 a failed lookup (unreachable, 503, timeout, an unexpected reply), 4 a restart, 5 a
    /// stray timer. The clock starts at an ordinary time, at 0, or just below `Int64.max`.
    static let failingLookups = zip(Gen.int(in: 0...5), Gen.int(in: 0...7_200)).array(of: 0...80)
    static let starts = [ConversationScript.base, Instant(millisecondsSince1970: 0), Instant(millisecondsSince1970: .max - 1_000)]

    @Test func anyRunOfFailingLookupsEndsWithinTheBound() async {
        await propertyCheck(count: 200, input: zip(Gen.int(in: 0...2), Self.failingLookups)) { startIndex, script in
            var now = Self.starts[startIndex]
            var conversation = BookingConversation(id: "conv-p")
            var effects: [Effect] = []
            func step(_ input: BookingConversation.Input) { effects = BookingConversation.reduce(&conversation, input) }
            func request() -> RequestID? {
                if case .calendly(let id, _) = effects.last(where: { if case .calendly = $0 { true } else { false } }) { return id }
                return nil
            }
            step(.triggerMet(.init(setup: .ready(ConversationScript.setup(knownEmail: "guest@example.com")), channel: .webchat, timeZone: "UTC"), at: now))
            step(.calendlyReplied(request()!, .availableTimes(ConversationScript.slots(count: 3, from: now)), at: now))
            step(.customerChoseRow("o1s1", at: now))
            guard let create = request() else { Issue.record("no booking request"); return }
            step(.calendlyReplied(create, .outcomeUnknown, at: now))
            let requestedAt = now
            var failed = 0
            var all: [Effect] = effects
            let failures: [CalendlyReply] = [.failed(.unreachable), .failed(.serverError(status: 503)), .outcomeUnknown, .availableTimes([])]
            // The generated steps, then failures only: the conversation must end within the bound either way.
            var steps = script[...]
            var guardrail = 0
            while case .reconciling(_, let lookup) = conversation.phase {
                guardrail += 1
                if guardrail > script.count + 4 * BookingConversation.maxFailedLookups {
                    Issue.record("still reconciling after \(failed) failed lookups"); return
                }
                let (what, seconds) = steps.popFirst() ?? (0, 300)
                now = now + .seconds(Int64(seconds))
                switch (what, lookup) {
                case (4, _): step(.recovered(at: now))
                case (5, _), (_, nil): step(.timerFired(TimerID("conv-p/reconcile"), at: now))
                case (_, let lookup?):
                    step(.calendlyReplied(lookup, failures[what], at: now))
                    failed += 1
                }
                all += effects
            }
            #expect(failed <= BookingConversation.maxFailedLookups, "looked up \(failed) times")
            #expect(conversation.phase == .staticLink(reason: BookingConversation.bookingUnconfirmed))
            if failed < BookingConversation.maxFailedLookups {
                #expect(now >= requestedAt + BookingConversation.reconcileGiveUpAfter, "gave up early after \(failed) lookups")
            }
            let apologies = all.filter { if case .send(let message) = $0, case .text(let text) = message.content { text.hasPrefix("Sorry") } else { false } }
            #expect(apologies.count == 1)
            #expect(!all.contains { if case .store(.settleIntent) = $0 { true } else { false } }, "the intent stays open")
            #expect(conversation.unconfirmed?.key == "conv-p#1")
        }
    }
}
