import Effects

/// Tolerant decoding of Calendly's webhook body (issue 6 item 6; a peer's strict schema silently
/// dropped every Zoom booking). Unknown fields, unknown location kinds and fields of an unexpected type
/// that the core does not need are ignored; only what the core needs is required, and a body without
/// it is rejected with a reason naming the field.
public enum WebhookPayload: Equatable, Sendable {
    case invitee(InviteeNotice)
    case unsupported(event: String)

    public struct Problem: Error, Equatable, Sendable {
        public var reason: String
    }

    typealias Field<Value> = LenientField<Value>

    /// Reads fields one at a time, so a surprise in one field never fails the others. Field by field it
    /// answers as `KeyedDecodingContainer.lenient` did over Foundation's decoder: null is absent, a value
    /// of another type (or an unreadable string) is invalid.
    struct Object {
        let members: [String: PayloadJSON]

        func field(_ name: String, as type: String.Type) -> Field<String> {
            switch members[name] {
            case nil, .null: return .absent
            case .string(let text): return .value(text)
            case .bool, .number, .unreadableString, .array, .object, .unreadableObject: return .invalid
            }
        }

        func field(_ name: String, as type: Bool.Type) -> Field<Bool> {
            switch members[name] {
            case nil, .null: return .absent
            case .bool(let flag): return .value(flag)
            case .string, .number, .unreadableString, .array, .object, .unreadableObject: return .invalid
            }
        }

        func object(_ name: String) -> Field<Object> {
            switch members[name] {
            case nil, .null: return .absent
            case .object(let nested): return .value(Object(members: nested))
            case .bool, .number, .string, .unreadableString, .array, .unreadableObject: return .invalid
            }
        }

        /// A non-empty string, or nothing: optional fields with anything else are treated as absent.
        func text(_ name: String) -> String? {
            field(name, as: String.self).value.flatMap { $0.isEmpty ? nil : $0 }
        }
    }

    public static func parse(_ body: [UInt8]) -> Result<WebhookPayload, Problem> {
        guard case .object(let members)? = try? PayloadJSON.parse(body) else { return .failure(Problem(reason: "malformed_json")) }
        return interpret(Object(members: members))
    }

    static func interpret(_ root: Object) -> Result<WebhookPayload, Problem> {
        switch root.field("event", as: String.self).required("event") {
        case .failure(let problem): return .failure(problem)
        case .success(let event):
            guard let kind = InviteeNotice.Kind(rawValue: event) else { return .success(.unsupported(event: event)) }
            return notice(kind, root).map(WebhookPayload.invitee)
        }
    }

    /// The invitee notice of an `invitee.created` / `invitee.canceled` body.
    static func notice(_ kind: InviteeNotice.Kind, _ root: Object) -> Result<InviteeNotice, Problem> {
        Result {
            let payload = try root.object("payload").required("payload").get()
            let invitee = try nonEmpty(payload.field("uri", as: String.self)).required("payload.uri").get()
            let email = try payload.field("email", as: String.self).required("payload.email").get()
            let scheduled = try payload.object("scheduled_event").required("payload.scheduled_event").get()
            let eventType = try nonEmpty(scheduled.field("event_type", as: String.self)).required("scheduled_event.event_type").get()
            let startText = try scheduled.field("start_time", as: String.self).required("scheduled_event.start_time").get()
            guard let start = Instant(iso8601: startText) else { throw Problem(reason: "invalid_field:scheduled_event.start_time") }
            // The scheduled event's URI is on the invitee (`event`) and on `scheduled_event.uri`; either will do.
            guard let event = payload.text("event") ?? scheduled.text("uri") else { throw Problem(reason: "missing_field:payload.event") }
            let sentAt = root.text("created_at").flatMap(Instant.init(iso8601:)) ?? start
            let tracking = payload.object("tracking").value.map { BookingTracking(utmSource: $0.text("utm_source"), utmContent: $0.text("utm_content")) }
            let subject = Invitee(uri: CalendlyURI(invitee), eventURI: CalendlyURI(event), email: email, start: start,
                                  cancelURL: payload.text("cancel_url") ?? "", rescheduleURL: payload.text("reschedule_url") ?? "")
            return InviteeNotice(kind, of: subject, eventType: CalendlyURI(eventType), sentAt: sentAt, source: .webhook,
                                 rescheduled: payload.field("rescheduled", as: Bool.self).value ?? false,
                                 newInvitee: payload.text("new_invitee").map(CalendlyURI.init(rawValue:)),
                                 oldInvitee: payload.text("old_invitee").map(CalendlyURI.init(rawValue:)), tracking: tracking)
        }.mapError { ($0 as? Problem) ?? Problem(reason: "malformed_json") }
    }

    static func nonEmpty(_ field: Field<String>) -> Field<String> {
        if case .value(let text) = field, text.isEmpty { return .absent }
        return field
    }
}

extension LenientField {
    /// A field the core needs: its absence or unusable value is the webhook's rejection reason.
    func required(_ path: String) -> Result<Value, WebhookPayload.Problem> {
        switch self {
        case .value(let value): return .success(value)
        case .absent: return .failure(WebhookPayload.Problem(reason: "missing_field:\(path)"))
        case .invalid: return .failure(WebhookPayload.Problem(reason: "invalid_field:\(path)"))
        }
    }
}
