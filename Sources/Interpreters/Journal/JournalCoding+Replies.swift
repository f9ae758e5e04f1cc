import Core
import Effects
import Foundation

// The journal coders of Calendly's replies and the resources they carry.

extension CalendlyReply: JournalCodable {
    public var journal: JournalValue {
        switch self {
        case .tokenGranted(let grant): return .object(["kind": "token_granted", "grant": grant.journal])
        case .user(let user): return .object(["kind": "user", "user": user.journal])
        case .revoked: return .object(["kind": "revoked"])
        case .eventTypes(let types): return .object(["kind": "event_types", "event_types": types.journal])
        case .eventType(let type): return .object(["kind": "event_type", "event_type": type.journal])
        case .availableTimes(let slots): return .object(["kind": "available_times", "count": slots.count.journal, "runs": SlotRuns.encode(slots)])
        case .inviteeCreated(let invitee): return .object(["kind": "invitee_created", "invitee": invitee.journal])
        case .inviteeFound(let invitee): return .object(["kind": "invitee_found", "invitee": invitee?.journal ?? .null])
        case .webhookSubscription(let subscription): return .object(["kind": "webhook_subscription", "subscription": subscription.journal])
        case .webhookSubscriptions(let subscriptions): return .object(["kind": "webhook_subscriptions", "subscriptions": subscriptions.journal])
        case .webhookSubscriptionDeleted: return .object(["kind": "webhook_subscription_deleted"])
        case .scheduledInvitees(let notices): return .object(["kind": "scheduled_invitees", "notices": notices.journal])
        case .failed(let failure): return .object(["kind": "failed", "failure": failure.journal])
        case .outcomeUnknown: return .object(["kind": "outcome_unknown"])
        }
    }

    public init(journal r: JournalReader) throws {
        switch try r.kind() {
        case "token_granted": self = .tokenGranted(try r("grant"))
        case "user": self = .user(try r("user"))
        case "revoked": self = .revoked
        case "event_types": self = .eventTypes(try r("event_types"))
        case "event_type": self = .eventType(try r("event_type"))
        case "available_times":
            let slots = try SlotRuns.decode(try r.field("runs"))
            guard slots.count == (try Int(journal: r.field("count"))) else { throw JournalDecodingError(path: r.path + ".count", reason: "the runs hold \(slots.count) slots") }
            self = .availableTimes(slots)
        case "invitee_created": self = .inviteeCreated(try r("invitee"))
        case "invitee_found": self = .inviteeFound(try r.optional("invitee"))
        case "webhook_subscription": self = .webhookSubscription(try r("subscription"))
        case "webhook_subscriptions": self = .webhookSubscriptions(try r("subscriptions"))
        case "webhook_subscription_deleted": self = .webhookSubscriptionDeleted
        case "scheduled_invitees": self = .scheduledInvitees(try r("notices"))
        case "failed": self = .failed(try r("failure"))
        case "outcome_unknown": self = .outcomeUnknown
        case let other: throw r.unknownKind(other)
        }
    }
}

/// Available times stored compactly: runs of evenly spaced starts, `{"first","count","step_ms"}` — a
/// week of half-hour slots is a handful of runs instead of ~280 timestamps. Exact: every start comes
/// back to the millisecond, in order (duplicates and gaps just start a new run).
enum SlotRuns {
    /// More than any real reply (Calendly returns at most a week of slots); guards a hostile file.
    static let maxSlots = 100_000

    static func encode(_ slots: [Slot]) -> JournalValue {
        var runs: [JournalValue] = []
        var index = 0
        while index < slots.count {
            let first = slots[index].start.millisecondsSince1970
            var count = 1
            var step: Int64?
            if index + 1 < slots.count {
                let (difference, overflow) = slots[index + 1].start.millisecondsSince1970.subtractingReportingOverflow(first)
                if !overflow { step = difference }
            }
            if let step {
                var previous = first
                while index + count < slots.count {
                    let next = slots[index + count].start.millisecondsSince1970
                    let (difference, overflow) = next.subtractingReportingOverflow(previous)
                    guard !overflow, difference == step else { break }
                    previous = next
                    count += 1
                }
            }
            runs.append(.object(["first": slots[index].start.journal, "count": count.journal, "step_ms": count > 1 ? (step ?? 0).journal : .null]))
            index += count
        }
        return .array(runs)
    }

    static func decode(_ r: JournalReader) throws -> [Slot] {
        var slots: [Slot] = []
        for run in try r.items() {
            let first: Instant = try run("first")
            let count: Int = try run("count")
            guard count >= 1, count <= maxSlots - slots.count else { throw JournalDecodingError(path: run.path + ".count", reason: "\(count) is not a run length") }
            let step: Int64 = try run.optional("step_ms") ?? 0
            guard count == 1 || run.value["step_ms"] != nil else { throw JournalDecodingError(path: run.path + ".step_ms", reason: "missing") }
            var current = first.millisecondsSince1970
            for offset in 0..<count {
                if offset > 0 {
                    let (next, overflow) = current.addingReportingOverflow(step)
                    guard !overflow else { throw JournalDecodingError(path: run.path, reason: "run passes the end of time") }
                    current = next
                }
                slots.append(Slot(start: Instant(millisecondsSince1970: current)))
            }
        }
        return slots
    }
}

extension CalendlyFailure: JournalCodable {
    public var journal: JournalValue {
        switch self {
        case .unauthorized: return .object(["kind": "unauthorized"])
        case .forbidden(let scopes): return .object(["kind": "forbidden", "required_scopes": scopes.journal])
        case .notFound: return .object(["kind": "not_found"])
        case .slotUnavailable: return .object(["kind": "slot_unavailable"])
        case .rejected(let message): return .object(["kind": "rejected", "message": message.journal])
        case .rateLimited(let retryAfter): return .object(["kind": "rate_limited", "retry_after_ms": retryAfter?.journal ?? .null])
        case .serverError(let status): return .object(["kind": "server_error", "status": status.journal])
        case .unreachable: return .object(["kind": "unreachable"])
        case .malformedResponse: return .object(["kind": "malformed_response"])
        case .invalidGrant: return .object(["kind": "invalid_grant"])
        case .accessDenied: return .object(["kind": "access_denied"])
        case .alreadyExists: return .object(["kind": "already_exists"])
        }
    }

    public init(journal r: JournalReader) throws {
        switch try r.kind() {
        case "unauthorized": self = .unauthorized
        case "forbidden": self = .forbidden(requiredScopes: try r("required_scopes"))
        case "not_found": self = .notFound
        case "slot_unavailable": self = .slotUnavailable
        case "rejected": self = .rejected(message: try r("message"))
        case "rate_limited": self = .rateLimited(retryAfter: try r.optional("retry_after_ms"))
        case "server_error": self = .serverError(status: try r("status"))
        case "unreachable": self = .unreachable
        case "malformed_response": self = .malformedResponse
        case "invalid_grant": self = .invalidGrant
        case "access_denied": self = .accessDenied
        case "already_exists": self = .alreadyExists
        case let other: throw r.unknownKind(other)
        }
    }
}

extension EventType: JournalCodable {
    public var journal: JournalValue {
        .object(["uri": uri.journal, "name": name.journal, "active": active.journal, "duration_minutes": durationMinutes.journal, "event_kind": kind.journal,
                 "pooling_type": poolingType?.journal ?? .null, "secret": secret.journal, "booking_method": bookingMethod.journal, "is_paid": isPaid.journal,
                 "scheduling_url": schedulingURL.journal, "custom_questions": customQuestions.journal, "locations": locations.journal])
    }
    public init(journal r: JournalReader) throws {
        self.init(uri: try r("uri"), name: try r("name"), active: try r("active"), durationMinutes: try r("duration_minutes"), kind: try r("event_kind"),
                  poolingType: try r.optional("pooling_type"), secret: try r("secret"), bookingMethod: try r("booking_method"), isPaid: try r("is_paid"),
                  schedulingURL: try r("scheduling_url"), customQuestions: try r("custom_questions"), locations: try r.optional("locations") ?? [])
    }
}

extension CustomQuestion: JournalCodable {
    public var journal: JournalValue {
        .object(["name": name.journal, "type": type.journal, "position": position.journal, "enabled": enabled.journal, "required": required.journal,
                 "answer_choices": answerChoices.journal, "include_other": includeOther.journal])
    }
    public init(journal r: JournalReader) throws {
        self.init(name: try r("name"), type: try r("type"), position: try r("position"), enabled: try r("enabled"), required: try r("required"),
                  answerChoices: try r.optional("answer_choices") ?? [], includeOther: try r.optional("include_other") ?? false)
    }
}

extension EventLocation: JournalCodable {
    public var journal: JournalValue { .object(["kind": kind.journal, "location": location?.journal ?? .null]) }
    public init(journal r: JournalReader) throws { self.init(kind: try r("kind"), location: try r.optional("location")) }
}

extension Invitee: JournalCodable {
    public var journal: JournalValue {
        .object(["uri": uri.journal, "event_uri": eventURI.journal, "email": email.journal, "start": start.journal, "cancel_url": cancelURL.journal,
                 "reschedule_url": rescheduleURL.journal, "canceled_at": canceledAt?.journal ?? .null])
    }
    public init(journal r: JournalReader) throws {
        self.init(uri: try r("uri"), eventURI: try r("event_uri"), email: try r("email"), start: try r("start"), cancelURL: try r("cancel_url"),
                  rescheduleURL: try r("reschedule_url"), canceledAt: try r.optional("canceled_at"))
    }
}

extension CalendlyUser: JournalCodable {
    public var journal: JournalValue {
        .object(["uri": uri.journal, "email": email.journal, "organization": organization.journal, "scheduling_url": schedulingURL.journal])
    }
    public init(journal r: JournalReader) throws {
        self.init(uri: try r("uri"), email: try r("email"), organization: try r("organization"), schedulingURL: try r("scheduling_url"))
    }
}

extension TokenGrant: JournalCodable {
    public var journal: JournalValue {
        // `refreshable` is written only when false: journals recorded before it was kept read as refreshable.
        .object(["token": token.journal, "owner": owner.journal, "organization": organization.journal, "scopes": scopes.journal, "expires_at": expiresAt.journal,
                 "refreshable": refreshable ? .null : false.journal])
    }
    public init(journal r: JournalReader) throws {
        self.init(token: try r("token"), owner: try r("owner"), organization: try r("organization"), scopes: try r("scopes"), expiresAt: try r("expires_at"),
                  refreshable: try r.optional("refreshable") ?? true)
    }
}

extension WebhookSubscription: JournalCodable {
    public var journal: JournalValue {
        .object(["uri": uri.journal, "callback_url": callbackURL.journal, "active": active.journal, "events": events.journal, "scope": scope.journal])
    }
    public init(journal r: JournalReader) throws {
        self.init(uri: try r("uri"), callbackURL: try r("callback_url"), active: try r("active"), events: try r("events"), scope: try r("scope"))
    }
}
