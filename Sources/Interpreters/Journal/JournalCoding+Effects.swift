import Core
import Effects
import Foundation

// The journal coders of `Effect` and everything an effect carries. Each enum's `kind` names are the
// stored format: renaming one is a format change (JournalFormatGoldenTests says so).

extension Effect: JournalCodable {
    public var journal: JournalValue {
        switch self {
        case .calendly(let request, let call): return .object(["kind": "calendly", "request": request.journal, "call": call.journal])
        case .send(let message): return .object(["kind": "send", "conversation": message.conversation.journal, "content": message.content.journal])
        case .emit(let event): return .object(["kind": "emit", "event": event.journal])
        case .store(let command): return .object(["kind": "store", "command": command.journal])
        case .notify(let message): return .object(["kind": "notify", "message": message.journal])
        case .schedule(let timer, let after): return .object(["kind": "schedule", "timer": timer.journal, "after_ms": after.journal])
        case .log(let entry): return .object(["kind": "log", "level": entry.level.journal, "message": entry.message.journal])
        case .reject(let rejection):
            return .object(["kind": "reject", "code": rejection.code.journal, "field": rejection.field?.journal ?? .null, "message": rejection.message.journal])
        }
    }

    public init(journal r: JournalReader) throws {
        switch try r.kind() {
        case "calendly": self = .calendly(try r("request"), try r("call"))
        case "send": self = .send(ChannelMessage(conversation: try r("conversation"), content: try r("content")))
        case "emit": self = .emit(try r("event"))
        case "store": self = .store(try r("command"))
        case "notify": self = .notify(try r("message"))
        case "schedule": self = .schedule(try r("timer"), after: try r("after_ms"))
        case "log": self = .log(LogEntry(try r("level"), try r("message")))
        case "reject": self = .reject(Rejection(code: try r("code"), field: try r.optional("field"), message: try r("message")))
        case let other: throw r.unknownKind(other)
        }
    }
}

extension CalendlyCall: JournalCodable {
    public var journal: JournalValue {
        switch self {
        case .exchangeCode(let code, let verifier, let agent):
            return .object(["kind": "exchange_code", "code": code.journal, "verifier": verifier.journal, "agent": agent.journal])
        case .currentUser(let token): return .object(["kind": "current_user", "token": token.journal])
        case .refreshToken(let token): return .object(["kind": "refresh_token", "token": token.journal])
        case .revokeToken(let token): return .object(["kind": "revoke_token", "token": token.journal])
        case .listEventTypes(let token, let user): return .object(["kind": "list_event_types", "token": token.journal, "user": user.journal])
        case .getEventType(let token, let uri): return .object(["kind": "get_event_type", "token": token.journal, "event_type": uri.journal])
        case .availableTimes(let token, let eventType, let from, let to):
            return .object(["kind": "available_times", "token": token.journal, "event_type": eventType.journal, "from": from.journal, "to": to.journal])
        case .createInvitee(let token, let key, let request):
            return .object(["kind": "create_invitee", "token": token.journal, "key": key.journal, "request": request.journal])
        case .findInvitee(let token, let eventType, let email, let start):
            return .object(["kind": "find_invitee", "token": token.journal, "event_type": eventType.journal, "email": email.journal, "start": start.journal])
        case .createWebhookSubscription(let token, let organization, let url, let events, let user):
            return .object(["kind": "create_webhook_subscription", "token": token.journal, "organization": organization.journal, "url": url.journal,
                            "events": events.journal, "user": user?.journal ?? .null])
        case .listWebhookSubscriptions(let token, let organization, let user):
            return .object(["kind": "list_webhook_subscriptions", "token": token.journal, "organization": organization.journal, "user": user?.journal ?? .null])
        case .deleteWebhookSubscription(let token, let uri):
            return .object(["kind": "delete_webhook_subscription", "token": token.journal, "subscription": uri.journal])
        case .listScheduledInvitees(let token, let user, let from, let to, let eventTypes):
            return .object(["kind": "list_scheduled_invitees", "token": token.journal, "user": user.journal, "from": from.journal, "to": to.journal,
                            "event_types": eventTypes?.journal ?? .null])
        }
    }

    public init(journal r: JournalReader) throws {
        switch try r.kind() {
        case "exchange_code": self = .exchangeCode(code: try r("code"), verifier: try r("verifier"), agent: try r("agent"))
        case "current_user": self = .currentUser(try r("token"))
        case "refresh_token": self = .refreshToken(try r("token"))
        case "revoke_token": self = .revokeToken(try r("token"))
        case "list_event_types": self = .listEventTypes(try r("token"), user: try r("user"))
        case "get_event_type": self = .getEventType(try r("token"), try r("event_type"))
        case "available_times": self = .availableTimes(try r("token"), eventType: try r("event_type"), from: try r("from"), to: try r("to"))
        case "create_invitee": self = .createInvitee(try r("token"), key: try r("key"), try r("request"))
        case "find_invitee": self = .findInvitee(try r("token"), eventType: try r("event_type"), email: try r("email"), start: try r("start"))
        case "create_webhook_subscription":
            self = .createWebhookSubscription(try r("token"), organization: try r("organization"), url: try r("url"), events: try r("events"),
                                              user: try r.optional("user"))
        case "list_webhook_subscriptions": self = .listWebhookSubscriptions(try r("token"), organization: try r("organization"), user: try r.optional("user"))
        case "delete_webhook_subscription": self = .deleteWebhookSubscription(try r("token"), try r("subscription"))
        case "list_scheduled_invitees":
            self = .listScheduledInvitees(try r("token"), user: try r("user"), from: try r("from"), to: try r("to"), eventTypes: try r.optional("event_types"))
        case let other: throw r.unknownKind(other)
        }
    }
}

extension InviteeRequest: JournalCodable {
    public var journal: JournalValue {
        .object(["event_type": eventType.journal, "start": start.journal, "email": email.journal, "name": name?.journal ?? .null,
                 "time_zone": timeZone.journal, "answers": answers.journal, "location": location?.journal ?? .null])
    }
    public init(journal r: JournalReader) throws {
        self.init(eventType: try r("event_type"), start: try r("start"), email: try r("email"), name: try r.optional("name"),
                  timeZone: try r("time_zone"), answers: try r("answers"), location: try r.optional("location"))
    }
}

extension InviteeLocation: JournalCodable {
    public var journal: JournalValue { .object(["kind": kind.journal, "location": location?.journal ?? .null]) }
    public init(journal r: JournalReader) throws { self.init(kind: try r("kind"), location: try r.optional("location")) }
}

extension QuestionAnswer: JournalCodable {
    public var journal: JournalValue { .object(["question": question.journal, "answer": answer.journal, "position": position?.journal ?? .null]) }
    public init(journal r: JournalReader) throws { self.init(question: try r("question"), answer: try r("answer"), position: try r.optional("position")) }
}

extension MessageContent: JournalCodable {
    public var journal: JournalValue {
        switch self {
        case .text(let text): return .object(["kind": "text", "text": text.journal])
        case .interactiveList(let body, let button, let rows):
            return .object(["kind": "interactive_list", "body": body.journal, "button": button.journal, "rows": rows.journal])
        case .buttons(let body, let buttons): return .object(["kind": "buttons", "body": body.journal, "buttons": buttons.journal])
        case .confirmationCard(let card):
            return .object(["kind": "confirmation_card", "event_name": card.eventName.journal, "when": card.when.journal,
                            "details_url": card.detailsURL.journal, "message": card.message.journal])
        }
    }
    public init(journal r: JournalReader) throws {
        switch try r.kind() {
        case "text": self = .text(try r("text"))
        case "interactive_list": self = .interactiveList(body: try r("body"), button: try r("button"), rows: try r("rows"))
        case "buttons": self = .buttons(body: try r("body"), buttons: try r("buttons"))
        case "confirmation_card":
            self = .confirmationCard(ConfirmationCard(eventName: try r("event_name"), when: try r("when"), detailsURL: try r("details_url"), message: try r("message")))
        case let other: throw r.unknownKind(other)
        }
    }
}

extension ListRow: JournalCodable {
    public var journal: JournalValue { .object(["id": id.journal, "title": title.journal, "description": description.journal]) }
    public init(journal r: JournalReader) throws { self.init(id: try r("id"), title: try r("title"), description: try r("description")) }
}

extension ChoiceButton: JournalCodable {
    public var journal: JournalValue { .object(["id": id.journal, "label": label.journal]) }
    public init(journal r: JournalReader) throws { self.init(id: try r("id"), label: try r("label")) }
}

extension TelemetryEvent: JournalCodable {
    public var journal: JournalValue {
        switch self {
        case .connected(let agent, let accountEmail, let organization, let at):
            return .object(["kind": "connected", "agent": agent.journal, "account_email": accountEmail.journal, "organization": organization.journal, "at": at.journal])
        case .connectFailed(let agent, let reason, let at):
            return .object(["kind": "connect_failed", "agent": agent.journal, "reason": reason.journal, "at": at.journal])
        case .eventTypesFetchFailed(let agent, let reason, let cacheUsed, let at):
            return .object(["kind": "event_types_fetch_failed", "agent": agent.journal, "reason": reason.journal, "cache_used": cacheUsed.journal, "at": at.journal])
        case .bookingOffered(let agent, let conversation, let eventType, let channel, let at):
            return .object(["kind": "booking_offered", "agent": agent.journal, "conversation": conversation.journal, "event_type": eventType.journal,
                            "channel": channel.journal, "at": at.journal])
        case .bookingCreated(let agent, let conversation, let eventType, let scheduledTime, let at):
            return .object(["kind": "booking_created", "agent": agent.journal, "conversation": conversation.journal, "event_type": eventType.journal,
                            "scheduled_time": scheduledTime.journal, "at": at.journal])
        case .slotConflict(let agent, let conversation, let eventType, let at):
            return .object(["kind": "slot_conflict", "agent": agent.journal, "conversation": conversation.journal, "event_type": eventType.journal, "at": at.journal])
        case .bookingFailed(let agent, let conversation, let reason, let at):
            return .object(["kind": "booking_failed", "agent": agent.journal, "conversation": conversation.journal, "reason": reason.journal, "at": at.journal])
        case .webhookRejected(let reason, let at): return .object(["kind": "webhook_rejected", "reason": reason.journal, "at": at.journal])
        case .bookingCanceled(let agent, let conversation, let eventType, let at):
            return .object(["kind": "booking_canceled", "agent": agent.journal, "conversation": conversation.journal, "event_type": eventType.journal, "at": at.journal])
        case .actionNeedsReview(let agent, let reason, let at):
            return .object(["kind": "action_needs_review", "agent": agent.journal, "reason": reason.journal, "at": at.journal])
        case .webhookSubscriptionRecreated(let agent, let reason, let at):
            return .object(["kind": "webhook_subscription_recreated", "agent": agent.journal, "reason": reason.journal, "at": at.journal])
        case .bookingRescheduled(let agent, let conversation, let eventType, let at):
            return .object(["kind": "booking_rescheduled", "agent": agent.journal, "conversation": conversation.journal, "event_type": eventType.journal, "at": at.journal])
        case .fallbackBooked(let agent, let conversation, let eventType, let at):
            return .object(["kind": "fallback_booked", "agent": agent.journal, "conversation": conversation.journal, "event_type": eventType.journal, "at": at.journal])
        case .bookingQuotaHigh(let owner, let used, let cap, let at):
            return .object(["kind": "booking_quota_high", "owner": owner.journal, "used": used.journal, "cap": cap.journal, "at": at.journal])
        }
    }

    public init(journal r: JournalReader) throws {
        switch try r.kind() {
        case "connected": self = .connected(agent: try r("agent"), accountEmail: try r("account_email"), organization: try r("organization"), at: try r("at"))
        case "connect_failed": self = .connectFailed(agent: try r("agent"), reason: try r("reason"), at: try r("at"))
        case "event_types_fetch_failed":
            self = .eventTypesFetchFailed(agent: try r("agent"), reason: try r("reason"), cacheUsed: try r("cache_used"), at: try r("at"))
        case "booking_offered":
            self = .bookingOffered(agent: try r("agent"), conversation: try r("conversation"), eventType: try r("event_type"), channel: try r("channel"), at: try r("at"))
        case "booking_created":
            self = .bookingCreated(agent: try r("agent"), conversation: try r("conversation"), eventType: try r("event_type"),
                                   scheduledTime: try r("scheduled_time"), at: try r("at"))
        case "slot_conflict": self = .slotConflict(agent: try r("agent"), conversation: try r("conversation"), eventType: try r("event_type"), at: try r("at"))
        case "booking_failed": self = .bookingFailed(agent: try r("agent"), conversation: try r("conversation"), reason: try r("reason"), at: try r("at"))
        case "webhook_rejected": self = .webhookRejected(reason: try r("reason"), at: try r("at"))
        case "booking_canceled": self = .bookingCanceled(agent: try r("agent"), conversation: try r("conversation"), eventType: try r("event_type"), at: try r("at"))
        case "action_needs_review": self = .actionNeedsReview(agent: try r("agent"), reason: try r("reason"), at: try r("at"))
        case "webhook_subscription_recreated": self = .webhookSubscriptionRecreated(agent: try r("agent"), reason: try r("reason"), at: try r("at"))
        case "booking_rescheduled":
            self = .bookingRescheduled(agent: try r("agent"), conversation: try r("conversation"), eventType: try r("event_type"), at: try r("at"))
        case "fallback_booked": self = .fallbackBooked(agent: try r("agent"), conversation: try r("conversation"), eventType: try r("event_type"), at: try r("at"))
        case "booking_quota_high": self = .bookingQuotaHigh(owner: try r("owner"), used: try r("used"), cap: try r("cap"), at: try r("at"))
        case let other: throw r.unknownKind(other)
        }
    }
}

extension StoreCommand: JournalCodable {
    public var journal: JournalValue {
        switch self {
        case .recordIntent(let intent): return .object(["kind": "record_intent", "intent": intent.journal])
        case .settleIntent(let key, let outcome, let at): return .object(["kind": "settle_intent", "key": key.journal, "outcome": outcome.journal, "at": at.journal])
        case .deleteTokens(let agent): return .object(["kind": "delete_tokens", "agent": agent.journal])
        case .deleteToken(let token): return .object(["kind": "delete_token", "token": token.journal])
        case .appendFailure(let record):
            return .object(["kind": "append_failure", "agent": record.agent.journal, "conversation": record.conversation.journal, "reason": record.reason.journal,
                            "at": record.at.journal])
        case .deleteReference(let key): return .object(["kind": "delete_reference", "key": key.journal])
        case .deleteFailures(let before): return .object(["kind": "delete_failures", "before": before.journal])
        case .forgetDeliveries(let before): return .object(["kind": "forget_deliveries", "before": before.journal])
        case .recordFallbackOffer(let offer): return .object(["kind": "record_fallback_offer", "offer": offer.journal])
        case .forgetFallbackOffers(let before): return .object(["kind": "forget_fallback_offers", "before": before.journal])
        }
    }

    public init(journal r: JournalReader) throws {
        switch try r.kind() {
        case "record_intent": self = .recordIntent(try r("intent"))
        case "settle_intent": self = .settleIntent(try r("key"), try r("outcome"), at: try r("at"))
        case "delete_tokens": self = .deleteTokens(try r("agent"))
        case "delete_token": self = .deleteToken(try r("token"))
        case "append_failure":
            self = .appendFailure(FailureRecord(agent: try r("agent"), conversation: try r("conversation"), reason: try r("reason"), at: try r("at")))
        case "delete_reference": self = .deleteReference(try r("key"))
        case "delete_failures": self = .deleteFailures(before: try r("before"))
        case "forget_deliveries": self = .forgetDeliveries(before: try r("before"))
        case "record_fallback_offer": self = .recordFallbackOffer(try r("offer"))
        case "forget_fallback_offers": self = .forgetFallbackOffers(before: try r("before"))
        case let other: throw r.unknownKind(other)
        }
    }
}

extension BookingIntent: JournalCodable {
    public var journal: JournalValue {
        .object(["key": key.journal, "agent": agent.journal, "conversation": conversation.journal, "event_type": eventType.journal,
                 "start": start.journal, "email": email.journal, "recorded_at": recordedAt.journal])
    }
    public init(journal r: JournalReader) throws {
        self.init(key: try r("key"), agent: try r("agent"), conversation: try r("conversation"), eventType: try r("event_type"),
                  start: try r("start"), email: try r("email"), recordedAt: try r("recorded_at"))
    }
}

extension IntentOutcome: JournalCodable {
    public var journal: JournalValue {
        switch self {
        case .booked(let invitee): return .object(["kind": "booked", "invitee": invitee.journal])
        case .notBooked(let reason): return .object(["kind": "not_booked", "reason": reason.journal])
        }
    }
    public init(journal r: JournalReader) throws {
        switch try r.kind() {
        case "booked": self = .booked(try r("invitee"))
        case "not_booked": self = .notBooked(reason: try r("reason"))
        case let other: throw r.unknownKind(other)
        }
    }
}

extension FallbackOffer: JournalCodable {
    public var journal: JournalValue {
        .object(["reference": reference.journal, "agent": agent.journal, "conversation": conversation.journal, "event_type": eventType.journal,
                 "offered_at": offeredAt.journal])
    }
    public init(journal r: JournalReader) throws {
        self.init(reference: try r("reference"), agent: try r("agent"), conversation: try r("conversation"), eventType: try r("event_type"),
                  offeredAt: try r("offered_at"))
    }
}

extension AggregateMessage: JournalCodable {
    public var journal: JournalValue {
        switch self {
        case .inviteeNotice(let notice): return .object(["kind": "invitee_notice", "notice": notice.journal])
        case .reconciledNotice(let notice): return .object(["kind": "reconciled_notice", "notice": notice.journal])
        case .bookingSeen(let conversation, let key, let invitee):
            return .object(["kind": "booking_seen", "conversation": conversation.journal, "key": key.journal, "invitee": invitee.journal])
        case .connectionLost(let agent): return .object(["kind": "connection_lost", "agent": agent.journal])
        case .actionNeedsReview(let agent, let reason, let at):
            return .object(["kind": "action_needs_review", "agent": agent.journal, "reason": reason.journal, "at": at.journal])
        case .grantRejected(let agent, let at): return .object(["kind": "grant_rejected", "agent": agent.journal, "at": at.journal])
        }
    }
    public init(journal r: JournalReader) throws {
        switch try r.kind() {
        case "invitee_notice": self = .inviteeNotice(try r("notice"))
        case "reconciled_notice": self = .reconciledNotice(try r("notice"))
        case "booking_seen": self = .bookingSeen(try r("conversation"), try r("key"), try r("invitee"))
        case "connection_lost": self = .connectionLost(try r("agent"))
        case "action_needs_review": self = .actionNeedsReview(try r("agent"), reason: try r("reason"), at: try r("at"))
        case "grant_rejected": self = .grantRejected(try r("agent"), at: try r("at"))
        case let other: throw r.unknownKind(other)
        }
    }
}

extension InviteeNotice: JournalCodable {
    public var journal: JournalValue {
        .object(["event": kind.journal, "delivery": delivery.journal, "invitee": invitee.journal, "scheduled_event": event.journal,
                 "event_type": eventType.journal, "email": email.journal, "start": start.journal, "cancel_url": cancelURL.journal,
                 "reschedule_url": rescheduleURL.journal, "rescheduled": rescheduled.journal, "sent_at": sentAt.journal,
                 "new_invitee": newInvitee?.journal ?? .null, "old_invitee": oldInvitee?.journal ?? .null, "tracking": tracking?.journal ?? .null])
    }
    public init(journal r: JournalReader) throws {
        self.init(kind: try r("event"), delivery: try r("delivery"), invitee: try r("invitee"), event: try r("scheduled_event"), eventType: try r("event_type"),
                  email: try r("email"), start: try r("start"), cancelURL: try r("cancel_url"), rescheduleURL: try r("reschedule_url"),
                  rescheduled: try r("rescheduled"), sentAt: try r("sent_at"), newInvitee: try r.optional("new_invitee"),
                  oldInvitee: try r.optional("old_invitee"), tracking: try r.optional("tracking"))
    }
}

extension BookingTracking: JournalCodable {
    public var journal: JournalValue { .object(["utm_source": utmSource?.journal ?? .null, "utm_content": utmContent?.journal ?? .null]) }
    public init(journal r: JournalReader) throws { self.init(utmSource: try r.optional("utm_source"), utmContent: try r.optional("utm_content")) }
}
