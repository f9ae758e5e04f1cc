@testable import Core
import Effects
import Testing

/// The runtime's routing between aggregates, done by hand and recorded step by step: conversations,
/// booking references (fed by `store(.recordIntent/.settleIntent)` and by webhook notices), the webhook
/// intake and the analytics counters (fed by `emit`). Calendly itself is the test: it answers each
/// request explicitly. Mirrors `LocalEffects` (store/notify applied in order, conversation follow-ups after).
struct BookingWorld {
    var transcript: Transcript
    var clock = VirtualClock()
    var conversations: [ConversationID: BookingConversation] = [:]
    var references: [BookingKey: BookingReference] = [:]
    var intake = WebhookIntake()
    /// Handed-out attributed links (what the stores keep in `fallback_offers`).
    var fallbackOffers: [ConversationReference: FallbackOffer] = [:]
    var analytics = Analytics()
    /// Record each telemetry event's analytics step in the transcript (S04); otherwise counted silently.
    var recordAnalytics = false
    let signature = Fixtures.signature

    private(set) var telemetry: [TelemetryEvent] = []
    private(set) var messages: [ChannelMessage] = []
    private(set) var calls: [CalendlyCall] = []
    private(set) var storeCommands: [StoreCommand] = []
    private(set) var rejections: [Rejection] = []

    init(_ transcript: Transcript) { self.transcript = transcript }

    var now: Instant { clock.now }

    func conversation(_ id: ConversationID) -> BookingConversation { conversations[id] ?? BookingConversation(id: id) }

    // MARK: Inputs

    @discardableResult
    mutating func send(_ id: ConversationID, _ input: BookingConversation.Input, sourceLocation: SourceLocation = #_sourceLocation) -> [Effect] {
        var state = conversation(id)
        let effects = transcript.apply("conversation[\(id)]", &state, input, BookingConversation.reduce, digest: Digest.conversation,
                                       invariants: { $0.checkInvariants() }, sourceLocation: sourceLocation)
        conversations[id] = state
        var followUps: [(ConversationID, BookingConversation.Input)] = []
        route(effects, &followUps)
        for (target, next) in followUps { send(target, next, sourceLocation: sourceLocation) }
        return effects
    }

    @discardableResult
    mutating func trigger(_ id: ConversationID, _ setup: BookingSetup, channel: Channel, zone: String = Fixtures.customerZone) -> [Effect] {
        send(id, .triggerMet(Fixtures.trigger(setup, channel: channel, zone: zone), at: now))
    }

    @discardableResult
    mutating func trigger(_ id: ConversationID, notOffered reason: NotOfferedReason, channel: Channel = .whatsapp) -> [Effect] {
        send(id, .triggerMet(BookingConversation.Trigger(setup: .notOffered(reason), channel: channel, timeZone: Fixtures.customerZone), at: now))
    }

    /// Calendly answers the request the conversation is waiting on.
    @discardableResult
    mutating func calendly(_ id: ConversationID, _ reply: CalendlyReply, sourceLocation: SourceLocation = #_sourceLocation) -> [Effect] {
        guard let request = pendingRequest(id) else {
            Issue.record("conversation \(id) waits on no Calendly request", sourceLocation: sourceLocation)
            return []
        }
        return send(id, .calendlyReplied(request, reply, at: now), sourceLocation: sourceLocation)
    }

    @discardableResult
    mutating func say(_ id: ConversationID, _ text: String) -> [Effect] { send(id, .customerReplied(text, at: now)) }

    @discardableResult
    mutating func tap(_ id: ConversationID, _ rowID: String) -> [Effect] { send(id, .customerChoseRow(rowID, at: now)) }

    @discardableResult
    mutating func deliver(_ delivery: WebhookIntake.Delivery) -> [Effect] {
        let body = delivery.body.count > 2048 ? "<\(delivery.body.count) bytes>" : String(decoding: delivery.body, as: UTF8.self)
        let line = "webhook at=\(now) header=\(delivery.signatureHeader ?? "<none>") body=\(body)"
        var state = intake
        let signature = self.signature
        let effects = WebhookIntake.reduce(&state, .delivered(delivery, at: now), signature: signature)
        intake = state
        transcript.step(line, effects, Digest.intake(intake))
        var followUps: [(ConversationID, BookingConversation.Input)] = []
        route(effects, &followUps)
        for (target, next) in followUps { send(target, next) }
        return effects
    }

    /// A step of the agent's connection (reconciliation runs there); its notices are routed like webhooks'.
    @discardableResult
    mutating func connection(_ state: inout Connection, _ input: Connection.Input, sourceLocation: SourceLocation = #_sourceLocation) -> [Effect] {
        let effects = transcript.connection(&state, input, sourceLocation: sourceLocation)
        var followUps: [(ConversationID, BookingConversation.Input)] = []
        route(effects, &followUps)
        for (target, next) in followUps { send(target, next, sourceLocation: sourceLocation) }
        return effects
    }

    /// The retention job: every reference, then the failure log and the webhook dedupe ids.
    mutating func retentionSweep() {
        var followUps: [(ConversationID, BookingConversation.Input)] = []
        for key in references.keys.sorted() { route(applyToReference(key, .retentionSweep(now: now)), &followUps) }
        let sweep = Retention.sweep(now: now)
        transcript.step("retention sweep at=\(now)", sweep, "references=\(references.count)")
        route(sweep, &followUps)
        transcript.apply("intake", &intake, WebhookIntake.Input.retentionSweep(now: now),
                         { WebhookIntake.reduce(&$0, $1, signature: Fixtures.signature) }, digest: Digest.intake)
    }

    // MARK: Routing

    private mutating func route(_ effects: [Effect], _ followUps: inout [(ConversationID, BookingConversation.Input)]) {
        for effect in effects {
            switch effect {
            case .calendly(_, let call): calls.append(call)
            case .send(let message): messages.append(message)
            case .schedule, .log: break
            case .reject(let rejection): rejections.append(rejection)
            case .emit(let event):
                telemetry.append(event)
                if recordAnalytics {
                    transcript.apply("analytics", &analytics, Analytics.Input.observed(event), Analytics.reduce, digest: Digest.analytics)
                } else {
                    _ = Analytics.reduce(&analytics, .observed(event))
                }
            case .store(let command):
                storeCommands.append(command)
                switch command {
                case .recordIntent(let intent): route(applyToReference(intent.key, .intentRecorded(intent)), &followUps)
                case .settleIntent(let key, let outcome, let at): route(applyToReference(key, .intentSettled(outcome, at: at)), &followUps)
                case .deleteReference(let key): references[key] = nil
                case .recordFallbackOffer(let offer): fallbackOffers[offer.reference] = offer
                case .forgetFallbackOffers(let before): fallbackOffers = fallbackOffers.filter { $0.value.offeredAt >= before }
                case .deleteTokens, .deleteToken, .appendFailure, .deleteFailures, .forgetDeliveries: break
                }
            case .notify(let message):
                switch message {
                case .inviteeNotice(let notice), .reconciledNotice(let notice):
                    let matched = referenceKey(matching: notice)
                    if let target = BookingReference.route(notice, reconciled: message.isReconciled, at: now, matched: matched, offer: { fallbackOffers[$0] }) {
                        route(applyToReference(target.key, target.input), &followUps)
                    }
                case .bookingSeen(let conversation, let key, let invitee):
                    followUps.append((conversation, .bookingSeen(key, invitee, at: now)))
                case .connectionLost, .actionNeedsReview, .grantRejected:
                    break // Conversations never lose a connection; the admin transcripts route these to the config and connection.
                }
            }
        }
    }

    /// Candidates found by scanning every reference; Core's rule decides, as in the stores.
    func referenceKey(matching notice: InviteeNotice) -> BookingKey? {
        let all = references.values.sorted { $0.key < $1.key }
        return BookingReference.match(notice, byInvitee: { invitee in all.first { $0.knownInvitees.contains(invitee) }?.key },
                                      pending: { match in all.filter { $0.matchKey == match }.map(\.key) })
    }

    /// Runs the reference reducer and records the step; the caller routes the effects.
    private mutating func applyToReference(_ key: BookingKey?, _ input: BookingReference.Input) -> [Effect] {
        var reference = key.flatMap { references[$0] }
        let effects = transcript.apply("reference[\(key?.rawValue ?? "none")]", &reference, input, BookingReference.reduce,
                                       digest: { Digest.reference(key, $0) })
        if let key {
            references[key] = reference
        } else if reference != nil {
            Issue.record("a notice without a matching reference created one")
        }
        return effects
    }

    // MARK: Queries

    func pendingRequest(_ id: ConversationID) -> RequestID? {
        switch conversation(id).phase {
        case .checkingAvailability(let request): return request
        case .booking(let attempt): return attempt.request
        case .reconciling(_, let lookup): return lookup
        case .idle, .notOffered, .slotsShown, .askingEmail, .askingQuestion, .confirmed, .staticLink: return nil
        }
    }

    func offer(_ id: ConversationID) -> SlotOffer? {
        switch conversation(id).phase {
        case .slotsShown(let offer), .askingEmail(let offer, _), .askingQuestion(let offer, _, _): return offer
        case .idle, .notOffered, .checkingAvailability, .booking, .reconciling, .confirmed, .staticLink: return nil
        }
    }

    func attempt(_ id: ConversationID) -> BookingConversation.Attempt? {
        switch conversation(id).phase {
        case .booking(let attempt), .reconciling(let attempt, _): return attempt
        case .idle, .notOffered, .checkingAvailability, .slotsShown, .askingEmail, .askingQuestion, .confirmed, .staticLink: return nil
        }
    }

    func telemetry(named name: String) -> [TelemetryEvent] { telemetry.filter { $0.name == name } }

    func messages(to id: ConversationID) -> [MessageContent] { messages.filter { $0.conversation == id }.map(\.content) }

    var createCalls: [BookingKey] {
        calls.compactMap { if case .createInvitee(_, let key, _) = $0 { return key } else { return nil } }
    }
}
