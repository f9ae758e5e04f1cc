import Core
import Effects
import Foundation
import Interpreters
import Testing

/// The journal format is pinned byte for byte: one encoding of every input case of every aggregate,
/// every effect case (and what they carry), and an initial state of each aggregate, built from the
/// fixture values below, against `Incidents/journal-format.txt`. A Core change that would alter a
/// stored record fails here — then bump `JournalFormat.version`, add a reader for the old version in
/// `JournalMigration`, and regenerate with `UPDATE_GOLDEN=1`.
@Suite struct JournalFormatGoldenTests {
    static let golden = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Incidents/journal-format.txt")

    static let at = Instant(millisecondsSince1970: 1_795_000_000_000)
    static let later = Instant(millisecondsSince1970: 1_795_000_060_500)
    static let agent: AgentID = "acme:agent-1"
    static let conversation: ConversationID = "acme:chat-1"
    static let token: TokenReference = "tokref-1"
    static let eventTypeURI: CalendlyURI = "https://api.calendly.com/event_types/ET-1"
    static let user: CalendlyURI = "https://api.calendly.com/users/U-1"
    static let organization: CalendlyURI = "https://api.calendly.com/organizations/ORG-1"
    static let eventType = EventType(uri: eventTypeURI, name: "Intro call", active: true, durationMinutes: 30, kind: .solo, poolingType: .roundRobin,
                                     secret: false, bookingMethod: .instant, isPaid: false, schedulingURL: "https://calendly.com/acme/intro",
                                     customQuestions: [CustomQuestion(name: "Company", type: "string", position: 0, enabled: true, required: true),
                                                       CustomQuestion(name: "Team size", type: "single_select", position: 1, enabled: true, required: true,
                                                                      answerChoices: ["1-10", "11+"], includeOther: true)],
                                     locations: [EventLocation(kind: "outbound_call"), EventLocation(kind: "physical", location: "Main St 1")])
    static let invitee = Invitee(uri: "https://api.calendly.com/scheduled_events/EV1/invitees/IN1", eventURI: "https://api.calendly.com/scheduled_events/EV1",
                                 email: "r-0123456789@example.invalid", start: later, cancelURL: "https://calendly.com/cancellations/IN1",
                                 rescheduleURL: "https://calendly.com/reschedulings/IN1", canceledAt: at)
    static let notice = InviteeNotice(kind: .canceled, delivery: "delivery-1", invitee: invitee.uri, event: invitee.eventURI, eventType: eventTypeURI,
                                      email: invitee.email, start: later, cancelURL: invitee.cancelURL, rescheduleURL: invitee.rescheduleURL, rescheduled: true,
                                      sentAt: at, newInvitee: "https://api.calendly.com/scheduled_events/EV2/invitees/IN2", oldInvitee: nil,
                                      tracking: BookingTracking(utmSource: "qontak", utmContent: "ref-abcdef12"))
    static let intent = BookingIntent(key: "acme:chat-1#1", agent: agent, conversation: conversation, eventType: eventTypeURI, start: later,
                                      email: invitee.email, recordedAt: at)
    static let setup = BookingSetup(agent: agent, eventType: eventType, token: token, confirmationMessage: "See you!",
                                    answers: [QuestionAnswer(question: "Company", answer: "Acme")], knownEmail: invitee.email, knownName: "Jane")
    static let account = ActionConfig.Account(token: token, user: user, planInsufficient: false)
    static let draft = ActionDraft(eventType: eventTypeURI, nameField: "contact.name", emailField: "contact.email",
                                   questionMappings: [QuestionMapping(question: "Company", field: "contact.company")], trigger: "book", confirmationMessage: "See you!",
                                   enabled: true)
    static let offer = FallbackOffer(reference: "ref-abcdef12", agent: agent, conversation: conversation, eventType: eventTypeURI, offeredAt: at)
    static let subscription = WebhookSubscription(uri: "https://api.calendly.com/webhook_subscriptions/WH-1", callbackURL: "https://bot.example/v1/webhooks/calendly",
                                                  active: true, events: ["invitee.created", "invitee.canceled"], scope: "organization")
    /// Three runs: two evenly spaced, a gap, then one alone.
    static let slotMinutes: [Int64] = [0, 30, 60, 90, 1440, 1470, 1530]
    static let slots: [Slot] = slotMinutes.map { (minutes: Int64) -> Slot in Slot(start: later + Span.minutes(minutes)) }

    static let replies: [(String, CalendlyReply)] = plainReplies + failures.map { ("failed." + $0.0, CalendlyReply.failed($0.1)) }

    static let plainReplies: [(String, CalendlyReply)] = [
        ("token_granted", .tokenGranted(TokenGrant(token: token, owner: user, organization: organization, scopes: ["default"], expiresAt: later))),
        ("user", .user(CalendlyUser(uri: user, email: "r-0123456789@example.invalid", organization: organization, schedulingURL: "https://calendly.com/acme"))),
        ("revoked", .revoked),
        ("event_types", .eventTypes([eventType])),
        ("event_type", .eventType(eventType)),
        ("available_times", .availableTimes(slots)),
        ("invitee_created", .inviteeCreated(invitee)),
        ("invitee_found", .inviteeFound(invitee)),
        ("invitee_found_none", .inviteeFound(nil)),
        ("webhook_subscription", .webhookSubscription(subscription)),
        ("webhook_subscriptions", .webhookSubscriptions([subscription])),
        ("webhook_subscription_deleted", .webhookSubscriptionDeleted),
        ("scheduled_invitees", .scheduledInvitees([notice])),
        ("outcome_unknown", .outcomeUnknown),
    ]

    static let failures: [(String, CalendlyFailure)] = [
        ("unauthorized", .unauthorized), ("forbidden", .forbidden(requiredScopes: ["scheduled_events:write"])), ("not_found", .notFound),
        ("slot_unavailable", .slotUnavailable), ("rejected", .rejected(message: "bad email")), ("rate_limited", .rateLimited(retryAfter: .seconds(30))),
        ("rate_limited_bare", .rateLimited(retryAfter: nil)), ("server_error", .serverError(status: 503)), ("unreachable", .unreachable),
        ("malformed_response", .malformedResponse), ("invalid_grant", .invalidGrant), ("access_denied", .accessDenied), ("already_exists", .alreadyExists),
    ]

    static let conversationInputs: [(String, BookingConversation.Input)] = plainConversationInputs
        + replies.map { ("calendly_replied." + $0.0, BookingConversation.Input.calendlyReplied("acme:chat-1/1", $0.1, at: at)) }

    static let plainConversationInputs: [(String, BookingConversation.Input)] = [
        ("trigger_met", .triggerMet(BookingConversation.Trigger(setup: .ready(setup), channel: .whatsapp, timeZone: "Asia/Jakarta", attribution: "ref-abcdef12"), at: at)),
        ("trigger_met.not_offered", .triggerMet(BookingConversation.Trigger(setup: .notOffered(.planInsufficient), channel: .text, timeZone: "UTC"), at: at)),
        ("customer_replied", .customerReplied("2", at: at)),
        ("customer_chose_row", .customerChoseRow("o1s2", at: at)),
        ("timer_fired", .timerFired("reconcile", at: at)),
        ("booking_seen", .bookingSeen("acme:chat-1#1", invitee, at: at)),
        ("recovered", .recovered(at: at)),
    ]

    static let connectionInputs: [(String, Connection.Input)] = [
        ("connect_requested", .connectRequested("oauth-state-1", webhookURL: "https://bot.example/v1/webhooks/calendly", at: at)),
        ("authorization_granted", .authorizationGranted("oauth-state-1", code: "<redacted>", at: at)),
        ("authorization_denied", .authorizationDenied("oauth-state-1", error: "access_denied", at: at)),
        ("calendly_replied", .calendlyReplied("acme:agent-1/1", .user(CalendlyUser(uri: user, email: "a@b.co", organization: organization, schedulingURL: "x")), at: at)),
        ("refresh_due", .refreshDue(at: at)),
        ("token_check", .tokenCheck(at: at)),
        ("disconnect_requested", .disconnectRequested(at: at)),
        ("disconnect_keeping_subscription", .disconnectKeepingSubscription(at: at)),
        ("subscription_check", .subscriptionCheck(webhookURL: "https://bot.example/v1/webhooks/calendly", at: at)),
        ("reconcile_due", .reconcileDue(BookingReconciliation.Window(from: at, to: later, eventTypes: [eventTypeURI]), at: at)),
    ]

    static let configInputs: [(String, ActionConfig.Input)] = [
        ("opened", .opened(account, at: at)),
        ("opened.no_account", .opened(nil, at: at)),
        ("refresh_requested", .refreshRequested(account, at: at)),
        ("save_requested", .saveRequested(draft, account, at: at)),
        ("calendly_replied", .calendlyReplied("acme:agent-1/config/1", .eventTypes([eventType]), at: at)),
        ("policy_changed", .policyChanged(EligibilityPolicy(allowSecret: true))),
        ("connection_lost", .connectionLost),
        ("booking_refused", .bookingRefused(reason: "answers_rejected", at: at)),
        ("runtime_check", .runtimeCheck(account, at: at)),
    ]

    static let referenceInputs: [(String, BookingReference.Input)] = [
        ("intent_recorded", .intentRecorded(intent)),
        ("intent_settled.booked", .intentSettled(.booked(invitee), at: at)),
        ("intent_settled.not_booked", .intentSettled(.notBooked(reason: "slot_unavailable"), at: at)),
        ("notice", .notice(notice, at: at)),
        ("booked_via_fallback", .bookedViaFallback(offer, notice, at: at)),
        ("retention_sweep", .retentionSweep(now: at)),
    ]

    static let calls: [(String, CalendlyCall)] = [
        ("exchange_code", .exchangeCode(code: "<redacted>", verifier: "oauth-state-1", agent: agent)),
        ("current_user", .currentUser(token)),
        ("refresh_token", .refreshToken(token)),
        ("revoke_token", .revokeToken(token)),
        ("list_event_types", .listEventTypes(token, user: user)),
        ("get_event_type", .getEventType(token, eventTypeURI)),
        ("available_times", .availableTimes(token, eventType: eventTypeURI, from: at, to: later)),
        ("create_invitee", .createInvitee(token, key: "acme:chat-1#1", InviteeRequest(eventType: eventTypeURI, start: later, email: invitee.email, name: "Jane",
                                                                                     timeZone: "Asia/Jakarta", answers: [QuestionAnswer(question: "Company", answer: "Acme", position: 0)],
                                                                                     location: InviteeLocation(kind: "outbound_call", location: "+4930123456")))),
        ("create_invitee.no_name", .createInvitee(token, key: "acme:chat-1#2", InviteeRequest(eventType: eventTypeURI, start: later, email: invitee.email, name: nil,
                                                                                             timeZone: "UTC"))),
        ("find_invitee", .findInvitee(token, eventType: eventTypeURI, email: invitee.email, start: later)),
        ("create_webhook_subscription", .createWebhookSubscription(token, organization: organization, url: "https://bot.example/v1/webhooks/calendly",
                                                                   events: ["invitee.created"], user: user)),
        ("list_webhook_subscriptions", .listWebhookSubscriptions(token, organization: organization, user: nil)),
        ("delete_webhook_subscription", .deleteWebhookSubscription(token, subscription.uri)),
        ("list_scheduled_invitees", .listScheduledInvitees(token, user: user, from: at, to: later, eventTypes: [eventTypeURI])),
    ]

    static let events: [(String, TelemetryEvent)] = [
        ("connected", .connected(agent: agent, accountEmail: "r-0123456789@example.invalid", organization: organization, at: at)),
        ("connect_failed", .connectFailed(agent: agent, reason: "access_denied", at: at)),
        ("event_types_fetch_failed", .eventTypesFetchFailed(agent: agent, reason: "timeout", cacheUsed: true, at: at)),
        ("booking_offered", .bookingOffered(agent: agent, conversation: conversation, eventType: eventTypeURI, channel: .webchat, at: at)),
        ("booking_created", .bookingCreated(agent: agent, conversation: conversation, eventType: eventTypeURI, scheduledTime: later, at: at)),
        ("slot_conflict", .slotConflict(agent: agent, conversation: conversation, eventType: eventTypeURI, at: at)),
        ("booking_failed", .bookingFailed(agent: agent, conversation: conversation, reason: "unauthorized", at: at)),
        ("webhook_rejected", .webhookRejected(reason: "bad_signature", at: at)),
        ("booking_canceled", .bookingCanceled(agent: agent, conversation: conversation, eventType: eventTypeURI, at: at)),
        ("webhook_subscription_recreated", .webhookSubscriptionRecreated(agent: agent, reason: "missing", at: at)),
        ("booking_rescheduled", .bookingRescheduled(agent: agent, conversation: conversation, eventType: eventTypeURI, at: at)),
        ("fallback_booked", .fallbackBooked(agent: agent, conversation: conversation, eventType: eventTypeURI, at: at)),
        ("booking_quota_high", .bookingQuotaHigh(owner: user, used: 41, cap: 50, at: at)),
        ("action_needs_review", .actionNeedsReview(agent: agent, reason: "answers_rejected", at: at)),
    ]

    static let commands: [(String, StoreCommand)] = [
        ("record_intent", .recordIntent(intent)),
        ("settle_intent", .settleIntent("acme:chat-1#1", .booked(invitee), at: at)),
        ("delete_tokens", .deleteTokens(agent)),
        ("delete_token", .deleteToken(token)),
        ("append_failure", .appendFailure(FailureRecord(agent: agent, conversation: conversation, reason: "timeout", at: at))),
        ("delete_reference", .deleteReference("acme:chat-1#1")),
        ("delete_failures", .deleteFailures(before: at)),
        ("forget_deliveries", .forgetDeliveries(before: at)),
        ("record_fallback_offer", .recordFallbackOffer(offer)),
        ("forget_fallback_offers", .forgetFallbackOffers(before: at)),
    ]

    static let contents: [(String, MessageContent)] = [
        ("text", .text("Here are the times:\n1. Wed 25 Nov, 09:30 \"quoted\" \\ tab\t")),
        ("interactive_list", .interactiveList(body: "Pick a time", button: "See times", rows: [ListRow(id: "o1s1", title: "Wed 25 Nov, 09:30", description: "30 min · GMT+7")])),
        ("buttons", .buttons(body: "Pick a time", buttons: [ChoiceButton(id: "o1s1", label: "Wed 09:30")])),
        ("confirmation_card", .confirmationCard(ConfirmationCard(eventName: "Intro call", when: "Wednesday 25 November 2026, 09:30", detailsURL: "https://calendly.com/r/IN1",
                                                                 message: "See you!"))),
    ]

    static let messages: [(String, AggregateMessage)] = [
        ("invitee_notice", .inviteeNotice(notice)),
        ("reconciled_notice", .reconciledNotice(notice)),
        ("booking_seen", .bookingSeen(conversation, "acme:chat-1#1", invitee)),
        ("connection_lost", .connectionLost(agent)),
        ("action_needs_review", .actionNeedsReview(agent, reason: "answers_rejected", at: at)),
        ("grant_rejected", .grantRejected(agent, at: at)),
    ]

    static let otherEffects: [(String, Effect)] = [
        ("schedule", .schedule("reconcile", after: .seconds(90))), ("log", .log(LogEntry(.warning, "slow reply"))),
        ("reject", .reject(Rejection(code: "invalid", field: "eventType", message: "pick one"))), ("reject.no_field", .reject(Rejection(code: "invalid", message: "no"))),
    ]

    static var effects: [(String, Effect)] {
        var all: [(String, Effect)] = calls.map { ("calendly." + $0.0, Effect.calendly("acme:chat-1/1", $0.1)) }
        all += contents.map { ("send." + $0.0, Effect.send(ChannelMessage(conversation: conversation, content: $0.1))) }
        all += events.map { ("emit." + $0.0, Effect.emit($0.1)) }
        all += commands.map { ("store." + $0.0, Effect.store($0.1)) }
        all += messages.map { ("notify." + $0.0, Effect.notify($0.1)) }
        return all + otherEffects
    }

    /// Every fixture's label and encoding, plus a decoder that reads it back and says whether it matches.
    static var encodings: [(label: String, json: String, roundTrips: Bool)] {
        func entries<T: JournalCodable & Equatable>(_ prefix: String, _ items: [(String, T)]) -> [(label: String, json: String, roundTrips: Bool)] {
            items.map { label, value in
                let json = value.journal.json
                return ("\(prefix).\(label)", json, (try? T.fromJournal(json)) == value)
            }
        }
        let states: [(label: String, json: String, roundTrips: Bool)] = [
            ("state.conversation", JournalFormat.line(record(BookingConversation(id: conversation))), true),
            ("state.connection", JournalFormat.line(record(Connection(agent: agent))), true),
            ("state.config", JournalFormat.line(record(ActionConfig(agent: agent))), true),
            ("state.reference", JournalFormat.line(record(referenceState)), true),
        ]
        var all = entries("input.conversation", conversationInputs)
        all += entries("input.connection", connectionInputs)
        all += entries("input.config", configInputs)
        all += entries("input.reference", referenceInputs)
        all += entries("effect", effects)
        return all + states
    }

    /// A whole record around a state, so the record's own fields are pinned too.
    static func record<State: Encodable>(_ state: State) -> JournalRecord {
        JournalRecord(stream: "conversation:acme:chat-1", at: at, aggregate: .conversation, id: "acme:chat-1", input: BookingConversation.Input.recovered(at: at),
                      effects: [Effect.log(LogEntry(.info, "recovered"))], stateBefore: state)
    }

    static var referenceState: BookingReference? {
        var state: BookingReference? = nil
        _ = BookingReference.reduce(&state, .intentRecorded(intent))
        return state
    }

    static var text: String {
        "# JournalFormat.version \(JournalFormat.version)\n" + encodings.map { "\($0.label)\t\($0.json)" }.joined(separator: "\n") + "\n"
    }

    @Test func everyKindEncodesAsPinnedAndReadsBack() throws {
        if ProcessInfo.processInfo.environment["UPDATE_GOLDEN"] == "1" { try Data(Self.text.utf8).write(to: Self.golden, options: .atomic) }
        for entry in Self.encodings { #expect(entry.roundTrips, "\(entry.label) does not read back as the value it was written from: \(entry.json)") }
        let committed = String(decoding: try Data(contentsOf: Self.golden), as: UTF8.self)
        let lines = committed.split(separator: "\n").map(String.init)
        let pinned = Dictionary(lines.dropFirst().compactMap { line -> (String, String)? in
            guard let tab = line.firstIndex(of: "\t") else { return nil }
            return (String(line[..<tab]), String(line[line.index(after: tab)...]))
        }, uniquingKeysWith: { first, _ in first })
        guard lines.first == "# JournalFormat.version \(JournalFormat.version)" else {
            Issue.record("JournalFormat.version is \(JournalFormat.version) but \(Self.golden.lastPathComponent) pins \(lines.first ?? "nothing"): regenerate it with UPDATE_GOLDEN=1")
            return
        }
        for entry in Self.encodings {
            guard let old = pinned[entry.label] else {
                Issue.record("\(entry.label) is new: add it to the README's record table and regenerate \(Self.golden.lastPathComponent) with UPDATE_GOLDEN=1")
                continue
            }
            if old != entry.json {
                let difference = (try? JournalTimeline.differences(recorded: [JournalValue.parse(old)], now: [JournalValue.parse(entry.json)])) ?? []
                Issue.record("""
                    The journal encoding of \(entry.label) changed (\(difference.map(\.description).joined(separator: "; "))).
                    Stored journals hold the old form: bump JournalFormat.version and add a migration (JournalMigration), then regenerate with UPDATE_GOLDEN=1.
                    """)
            }
        }
        for label in pinned.keys where !Self.encodings.contains(where: { $0.label == label }) {
            Issue.record("\(label) is pinned but no longer encoded: a removed case breaks stored journals — bump JournalFormat.version and add a migration")
        }
    }

    /// The README's record table names every `kind` the format writes (telemetry events are named by the
    /// telemetry table, so they are skipped), and every field name.
    @Test func theReadmeDocumentsEveryKindAndField() throws {
        let readme = String(decoding: try Data(contentsOf: Self.golden.deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("README.md")), as: UTF8.self)
        var names = Set<String>()
        func collect(_ value: JournalValue, under key: String) {
            switch value {
            case .members(let members):
                for member in members {
                    if key == "event", member.key != "kind" { continue }
                    if !(key == "state_before") { names.insert(member.key) }
                    if member.key == "kind", key != "event", case .string(let kind) = member.value { names.insert(kind) }
                    if member.key != "state_before" { collect(member.value, under: member.key) }
                }
            case .array(let items): items.forEach { collect($0, under: key) }
            case .null, .bool, .int, .double, .string: break
            }
        }
        for entry in Self.encodings { collect(try JournalValue.parse(entry.json), under: "") }
        for name in names.sorted() { #expect(readme.contains("`\(name)`"), "`\(name)` is not in the README's journal format tables") }
    }

    /// The pinned lines themselves decode (the format can be read, not only written).
    @Test func thePinnedEncodingsDecode() throws {
        let committed = String(decoding: try Data(contentsOf: Self.golden), as: UTF8.self)
        for line in committed.split(separator: "\n").dropFirst() {
            guard let tab = line.firstIndex(of: "\t") else { continue }
            let label = String(line[..<tab]), json = String(line[line.index(after: tab)...])
            if label.hasPrefix("input.conversation.") { #expect(throws: Never.self) { try BookingConversation.Input.fromJournal(json) } }
            if label.hasPrefix("input.connection.") { #expect(throws: Never.self) { try Connection.Input.fromJournal(json) } }
            if label.hasPrefix("input.config.") { #expect(throws: Never.self) { try ActionConfig.Input.fromJournal(json) } }
            if label.hasPrefix("input.reference.") { #expect(throws: Never.self) { try BookingReference.Input.fromJournal(json) } }
            if label.hasPrefix("effect.") { #expect(throws: Never.self) { try Effect.fromJournal(json) } }
            if label.hasPrefix("state.") { #expect(throws: Never.self) { try JournalFormat.record(line: json) } }
        }
    }
}
