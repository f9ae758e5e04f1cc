import Core
import Effects

/// Compact, stable one-line renderings of inputs and effects for trace digests. Cheaper than JSON and
/// independent of dictionary order; carries enough to notice any behavioural divergence.
enum TraceText {
    static func input(_ input: BookingConversation.Input) -> String {
        switch input {
        case .triggerMet(let trigger, let at): return "trigger \(trigger.channel.rawValue) \(trigger.timeZone) \(at.millisecondsSince1970)"
        case .calendlyReplied(let request, let reply, let at): return "reply \(request) \(reply.kind) \(at.millisecondsSince1970)"
        case .customerReplied(let text, let at): return "text \(text) \(at.millisecondsSince1970)"
        case .customerChoseRow(let id, let at): return "row \(id) \(at.millisecondsSince1970)"
        case .timerFired(let timer, let at): return "timer \(timer) \(at.millisecondsSince1970)"
        case .bookingSeen(let key, let invitee, let at): return "seen \(key) \(invitee.uri) \(at.millisecondsSince1970)"
        case .recovered(let at): return "recovered \(at.millisecondsSince1970)"
        }
    }

    static func effect(_ effect: Effect) -> String {
        switch effect {
        case .calendly(let request, let call): return "call \(request) \(call.kind)"
        case .send(let message):
            switch message.content {
            case .text(let text): return "send \(message.conversation) \(text.count) \(text.prefix(24))"
            case .interactiveList(_, _, let rows): return "send \(message.conversation) list \(rows.map(\.title).joined(separator: "|"))"
            case .buttons(_, let buttons): return "send \(message.conversation) buttons \(buttons.map(\.label).joined(separator: "|"))"
            case .confirmationCard(let card): return "send \(message.conversation) card \(card.when)"
            }
        case .emit(let event): return "emit \(event.name) \(event.at.millisecondsSince1970)"
        case .store(let command): return "store \(command.kind)"
        case .notify(let message):
            switch message {
            case .inviteeNotice(let notice): return "notify notice \(notice.kind.rawValue) \(notice.invitee)"
            case .reconciledNotice(let notice): return "notify reconciled \(notice.kind.rawValue) \(notice.invitee)"
            case .bookingSeen(let conversation, let key, _): return "notify seen \(conversation) \(key)"
            case .connectionLost(let agent): return "notify connectionLost \(agent)"
            case .actionNeedsReview(let agent, let reason, _): return "notify actionNeedsReview \(agent) \(reason)"
            case .grantRejected(let agent, _): return "notify grantRejected \(agent)"
            }
        case .schedule(let timer, let after): return "schedule \(timer) \(after.milliseconds)"
        case .log(let entry): return "log \(entry.level.rawValue)"
        case .reject(let rejection): return "reject \(rejection.code)"
        }
    }
}

extension CalendlyReply {
    public var kind: String {
        switch self {
        case .tokenGranted: return "tokenGranted"
        case .user: return "user"
        case .revoked: return "revoked"
        case .eventTypes(let types): return "eventTypes(\(types.count))"
        case .eventType: return "eventType"
        case .availableTimes(let slots): return "availableTimes(\(slots.count))"
        case .inviteeCreated(let invitee): return "inviteeCreated(\(invitee.uri))"
        case .inviteeFound(let invitee): return "inviteeFound(\(invitee?.uri.rawValue ?? "none"))"
        case .webhookSubscription(let subscription): return "webhookSubscription(\(subscription.uri))"
        case .webhookSubscriptions(let list): return "webhookSubscriptions(\(list.count))"
        case .webhookSubscriptionDeleted: return "webhookSubscriptionDeleted"
        case .scheduledInvitees(let list): return "scheduledInvitees(\(list.count))"
        case .failed(let failure): return "failed(\(failure.reason))"
        case .outcomeUnknown: return "outcomeUnknown"
        }
    }
}

extension CalendlyCall {
    public var kind: String {
        switch self {
        case .exchangeCode: return "exchangeCode"
        case .currentUser: return "currentUser"
        case .refreshToken: return "refreshToken"
        case .revokeToken: return "revokeToken"
        case .listEventTypes: return "listEventTypes"
        case .getEventType(_, let uri): return "getEventType(\(uri))"
        case .availableTimes(_, let eventType, let from, let to): return "availableTimes(\(eventType) \(from) \(to))"
        case .createInvitee(_, let key, let request): return "createInvitee(\(key) \(request.start))"
        case .findInvitee(_, _, _, let start): return "findInvitee(\(start))"
        case .createWebhookSubscription(_, _, let url, _, let user): return "createWebhookSubscription(\(url)\(user == nil ? "" : " user"))"
        case .listWebhookSubscriptions: return "listWebhookSubscriptions"
        case .deleteWebhookSubscription(_, let uri): return "deleteWebhookSubscription(\(uri))"
        case .listScheduledInvitees(_, _, let from, let to, let eventTypes):
            return "listScheduledInvitees(\(from) \(to)\(eventTypes.map { " \($0.count) types" } ?? ""))"
        }
    }
}

extension StoreCommand {
    public var kind: String {
        switch self {
        case .recordIntent(let intent): return "recordIntent(\(intent.key))"
        case .settleIntent(let key, let outcome, _):
            switch outcome {
            case .booked: return "settleIntent(\(key) booked)"
            case .notBooked(let reason): return "settleIntent(\(key) \(reason))"
            }
        case .deleteTokens: return "deleteTokens"
        case .deleteToken: return "deleteToken"
        case .appendFailure(let record): return "appendFailure(\(record.reason))"
        case .deleteReference(let key): return "deleteReference(\(key))"
        case .deleteFailures: return "deleteFailures"
        case .forgetDeliveries: return "forgetDeliveries"
        case .recordFallbackOffer(let offer): return "recordFallbackOffer(\(offer.conversation))"
        case .forgetFallbackOffers: return "forgetFallbackOffers"
        }
    }
}
