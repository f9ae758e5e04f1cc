import Core
import Effects
import Foundation

// The journal coders of the four aggregates' inputs and the values they carry.

extension BookingConversation.Input: JournalCodable {
    public var journal: JournalValue {
        switch self {
        case .triggerMet(let trigger, let at): return .object(["kind": "trigger_met", "at": at.journal, "trigger": trigger.journal])
        case .calendlyReplied(let request, let reply, let at):
            return .object(["kind": "calendly_replied", "at": at.journal, "request": request.journal, "reply": reply.journal])
        case .customerReplied(let text, let at): return .object(["kind": "customer_replied", "at": at.journal, "text": text.journal])
        case .customerChoseRow(let row, let at): return .object(["kind": "customer_chose_row", "at": at.journal, "row": row.journal])
        case .timerFired(let timer, let at): return .object(["kind": "timer_fired", "at": at.journal, "timer": timer.journal])
        case .bookingSeen(let key, let invitee, let at): return .object(["kind": "booking_seen", "at": at.journal, "key": key.journal, "invitee": invitee.journal])
        case .recovered(let at): return .object(["kind": "recovered", "at": at.journal])
        }
    }

    public init(journal r: JournalReader) throws {
        switch try r.kind() {
        case "trigger_met": self = .triggerMet(try r("trigger"), at: try r("at"))
        case "calendly_replied": self = .calendlyReplied(try r("request"), try r("reply"), at: try r("at"))
        case "customer_replied": self = .customerReplied(try r("text"), at: try r("at"))
        case "customer_chose_row": self = .customerChoseRow(try r("row"), at: try r("at"))
        case "timer_fired": self = .timerFired(try r("timer"), at: try r("at"))
        case "booking_seen": self = .bookingSeen(try r("key"), try r("invitee"), at: try r("at"))
        case "recovered": self = .recovered(at: try r("at"))
        case let other: throw r.unknownKind(other)
        }
    }
}

extension BookingConversation.Trigger: JournalCodable {
    public var journal: JournalValue {
        .object(["setup": setup.journal, "channel": channel.journal, "time_zone": timeZone.journal, "attribution": attribution?.journal ?? .null])
    }
    public init(journal r: JournalReader) throws {
        self.init(setup: try r("setup"), channel: try r("channel"), timeZone: try r("time_zone"), attribution: try r.optional("attribution"))
    }
}

extension BookingReadiness: JournalCodable {
    public var journal: JournalValue {
        switch self {
        case .ready(let setup): return .object(["kind": "ready", "setup": setup.journal])
        case .notOffered(let reason): return .object(["kind": "not_offered", "reason": reason.journal])
        }
    }
    public init(journal r: JournalReader) throws {
        switch try r.kind() {
        case "ready": self = .ready(try r("setup"))
        case "not_offered": self = .notOffered(try r("reason"))
        case let other: throw r.unknownKind(other)
        }
    }
}

extension BookingSetup: JournalCodable {
    public var journal: JournalValue {
        .object(["agent": agent.journal, "event_type": eventType.journal, "token": token.journal, "confirmation_message": confirmationMessage.journal,
                 "answers": answers.journal, "known_email": knownEmail?.journal ?? .null, "known_name": knownName?.journal ?? .null])
    }
    public init(journal r: JournalReader) throws {
        self.init(agent: try r("agent"), eventType: try r("event_type"), token: try r("token"), confirmationMessage: try r("confirmation_message"),
                  answers: try r("answers"), knownEmail: try r.optional("known_email"), knownName: try r.optional("known_name"))
    }
}

extension Connection.Input: JournalCodable {
    public var journal: JournalValue {
        switch self {
        case .connectRequested(let state, let webhookURL, let at):
            return .object(["kind": "connect_requested", "at": at.journal, "oauth_state": state.journal, "webhook_url": webhookURL.journal])
        case .authorizationGranted(let state, let code, let at):
            return .object(["kind": "authorization_granted", "at": at.journal, "oauth_state": state.journal, "code": code.journal])
        case .authorizationDenied(let state, let error, let at):
            return .object(["kind": "authorization_denied", "at": at.journal, "oauth_state": state.journal, "error": error.journal])
        case .calendlyReplied(let request, let reply, let at):
            return .object(["kind": "calendly_replied", "at": at.journal, "request": request.journal, "reply": reply.journal])
        case .refreshDue(let at): return .object(["kind": "refresh_due", "at": at.journal])
        case .tokenCheck(let at): return .object(["kind": "token_check", "at": at.journal])
        case .disconnectRequested(let at): return .object(["kind": "disconnect_requested", "at": at.journal])
        case .disconnectKeepingSubscription(let at): return .object(["kind": "disconnect_keeping_subscription", "at": at.journal])
        case .subscriptionCheck(let webhookURL, let at): return .object(["kind": "subscription_check", "at": at.journal, "webhook_url": webhookURL.journal])
        case .reconcileDue(let window, let at):
            return .object(["kind": "reconcile_due", "at": at.journal, "from": window.from.journal, "to": window.to.journal,
                            "event_types": window.eventTypes?.journal ?? .null])
        }
    }

    public init(journal r: JournalReader) throws {
        switch try r.kind() {
        case "connect_requested": self = .connectRequested(try r("oauth_state"), webhookURL: try r("webhook_url"), at: try r("at"))
        case "authorization_granted": self = .authorizationGranted(try r("oauth_state"), code: try r("code"), at: try r("at"))
        case "authorization_denied": self = .authorizationDenied(try r("oauth_state"), error: try r("error"), at: try r("at"))
        case "calendly_replied": self = .calendlyReplied(try r("request"), try r("reply"), at: try r("at"))
        case "refresh_due": self = .refreshDue(at: try r("at"))
        case "token_check": self = .tokenCheck(at: try r("at"))
        case "disconnect_requested": self = .disconnectRequested(at: try r("at"))
        case "disconnect_keeping_subscription": self = .disconnectKeepingSubscription(at: try r("at"))
        case "subscription_check": self = .subscriptionCheck(webhookURL: try r("webhook_url"), at: try r("at"))
        case "reconcile_due":
            self = .reconcileDue(BookingReconciliation.Window(from: try r("from"), to: try r("to"), eventTypes: try r.optional("event_types")), at: try r("at"))
        case let other: throw r.unknownKind(other)
        }
    }
}

extension ActionConfig.Input: JournalCodable {
    public var journal: JournalValue {
        switch self {
        case .opened(let account, let at): return .object(["kind": "opened", "at": at.journal, "account": account?.journal ?? .null])
        case .refreshRequested(let account, let at): return .object(["kind": "refresh_requested", "at": at.journal, "account": account?.journal ?? .null])
        case .saveRequested(let draft, let account, let at):
            return .object(["kind": "save_requested", "at": at.journal, "draft": draft.journal, "account": account?.journal ?? .null])
        case .calendlyReplied(let request, let reply, let at):
            return .object(["kind": "calendly_replied", "at": at.journal, "request": request.journal, "reply": reply.journal])
        case .policyChanged(let policy): return .object(["kind": "policy_changed", "allow_secret": policy.allowSecret.journal])
        case .connectionLost: return .object(["kind": "connection_lost"])
        case .bookingRefused(let reason, let at): return .object(["kind": "booking_refused", "at": at.journal, "reason": reason.journal])
        case .runtimeCheck(let account, let at): return .object(["kind": "runtime_check", "at": at.journal, "account": account?.journal ?? .null])
        }
    }

    public init(journal r: JournalReader) throws {
        switch try r.kind() {
        case "opened": self = .opened(try r.optional("account"), at: try r("at"))
        case "refresh_requested": self = .refreshRequested(try r.optional("account"), at: try r("at"))
        case "save_requested": self = .saveRequested(try r("draft"), try r.optional("account"), at: try r("at"))
        case "calendly_replied": self = .calendlyReplied(try r("request"), try r("reply"), at: try r("at"))
        case "policy_changed": self = .policyChanged(EligibilityPolicy(allowSecret: try r("allow_secret")))
        case "connection_lost": self = .connectionLost
        case "booking_refused": self = .bookingRefused(reason: try r("reason"), at: try r("at"))
        case "runtime_check": self = .runtimeCheck(try r.optional("account"), at: try r("at"))
        case let other: throw r.unknownKind(other)
        }
    }
}

extension ActionConfig.Account: JournalCodable {
    public var journal: JournalValue { .object(["token": token.journal, "user": user.journal, "plan_insufficient": planInsufficient.journal]) }
    public init(journal r: JournalReader) throws { self.init(token: try r("token"), user: try r("user"), planInsufficient: try r("plan_insufficient")) }
}

extension ActionDraft: JournalCodable {
    public var journal: JournalValue {
        .object(["event_type": eventType?.journal ?? .null, "name_field": nameField?.journal ?? .null, "email_field": emailField?.journal ?? .null,
                 "question_mappings": questionMappings.journal, "trigger": trigger.journal, "confirmation_message": confirmationMessage.journal,
                 "enabled": enabled.journal])
    }
    public init(journal r: JournalReader) throws {
        self.init(eventType: try r.optional("event_type"), nameField: try r.optional("name_field"), emailField: try r.optional("email_field"),
                  questionMappings: try r("question_mappings"), trigger: try r("trigger"), confirmationMessage: try r("confirmation_message"),
                  enabled: try r("enabled"))
    }
}

extension QuestionMapping: JournalCodable {
    public var journal: JournalValue { .object(["question": question.journal, "field": field.journal]) }
    public init(journal r: JournalReader) throws { self.init(question: try r("question"), field: try r("field")) }
}

extension BookingReference.Input: JournalCodable {
    public var journal: JournalValue {
        switch self {
        case .intentRecorded(let intent): return .object(["kind": "intent_recorded", "intent": intent.journal])
        case .intentSettled(let outcome, let at): return .object(["kind": "intent_settled", "at": at.journal, "outcome": outcome.journal])
        case .notice(let notice, let at): return .object(["kind": "notice", "at": at.journal, "notice": notice.journal])
        case .bookedViaFallback(let offer, let notice, let at):
            return .object(["kind": "booked_via_fallback", "at": at.journal, "offer": offer.journal, "notice": notice.journal])
        case .retentionSweep(let now): return .object(["kind": "retention_sweep", "at": now.journal])
        }
    }

    public init(journal r: JournalReader) throws {
        switch try r.kind() {
        case "intent_recorded": self = .intentRecorded(try r("intent"))
        case "intent_settled": self = .intentSettled(try r("outcome"), at: try r("at"))
        case "notice": self = .notice(try r("notice"), at: try r("at"))
        case "booked_via_fallback": self = .bookedViaFallback(try r("offer"), try r("notice"), at: try r("at"))
        case "retention_sweep": self = .retentionSweep(now: try r("at"))
        case let other: throw r.unknownKind(other)
        }
    }
}
