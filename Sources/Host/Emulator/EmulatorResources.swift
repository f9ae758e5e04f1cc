import Effects
import Interpreters

/// Calendly's resource shapes (2023 OpenAPI + the 2026 fields in calendly-api.md), explicit nulls included.
extension EmulatorModel {
    func userJSON() -> JSONValue {
        .object([
            "uri": .string(account.uri), "name": .string(account.name), "slug": .string(account.slug), "email": .string(account.email),
            "scheduling_url": .string(account.schedulingURL), "timezone": .string(account.timezone), "time_notation": .string("24h"),
            "avatar_url": .null, "created_at": .time(account.createdAt), "updated_at": .time(account.createdAt),
            "current_organization": .string(account.organization), "resource_type": .string("User"), "locale": .string("en"),
        ])
    }

    func eventTypeJSON(_ eventType: EventType) -> JSONValue {
        let info = meta[eventType.uri] ?? EventTypeMeta(slug: lastSegment(eventType.uri.rawValue).lowercased(), team: false, position: 0, description: nil)
        let kindDescription: String
        switch (eventType.kind, eventType.poolingType) {
        case (_, .roundRobin?): kindDescription = "Round Robin"
        case (_, .collective?): kindDescription = "Collective"
        case (_, .multiPool?): kindDescription = "Multi-Pool"
        case (.group, nil): kindDescription = "Group"
        case (.solo, nil): kindDescription = "One-on-One"
        }
        return .object([
            "uri": .string(eventType.uri.rawValue), "name": .string(eventType.name), "active": .bool(eventType.active),
            "booking_method": .string(eventType.bookingMethod.rawValue), "slug": .string(info.slug),
            "scheduling_url": .string(eventType.schedulingURL), "duration": .int(eventType.durationMinutes), "duration_options": .null,
            "kind": .string(eventType.kind.rawValue), "pooling_type": .text(eventType.poolingType?.rawValue),
            "type": .string("StandardEventType"), "color": .string("#0069ff"),
            "created_at": .time(EmulatorSeed.createdAt), "updated_at": .time(EmulatorSeed.createdAt), "internal_note": .null,
            "description_plain": .text(info.description), "description_html": .text(info.description.map { "<p>\($0)</p>" }),
            "profile": .object([
                "type": .string(info.team ? "Team" : "User"), "name": .string(info.team ? "Emulated Team" : account.name),
                "owner": .string(info.team ? account.organization + "/teams/EMUTEAM" : account.uri),
            ]),
            "secret": .bool(eventType.secret), "deleted_at": .null, "admin_managed": .bool(false), "is_paid": .bool(eventType.isPaid),
            "kind_description": .string(kindDescription), "position": .int(info.position), "locale": .string("en"),
            // Calendly's shape: `kind`, plus `location` where the host set one.
            "locations": .array(eventType.locations.map { place in .object(["kind": .string(place.kind), "location": .text(place.location)]) }),
            "custom_questions": .array(eventType.customQuestions.map { question in
                .object([
                    "name": .string(question.name), "type": .string(question.type), "position": .int(question.position),
                    "enabled": .bool(question.enabled), "required": .bool(question.required),
                    "answer_choices": .array(question.answerChoices.map(JSONValue.string)), "include_other": .bool(question.includeOther),
                ])
            }),
        ])
    }

    func availableTimeJSON(_ slot: Slot, _ eventType: EventType) -> JSONValue {
        let date = slot.start.utcDate
        let month = "\(date.year.padded(4))-\(date.month.padded(2))"
        return .object([
            "status": .string("available"), "invitees_remaining": .int(1), "start_time": .time(slot.start),
            "scheduling_url": .string("\(eventType.schedulingURL)/\(slot.start.iso8601)?month=\(month)&date=\(date)"),
        ])
    }

    func inviteeJSON(_ booking: SimCalendly.Booking) -> JSONValue {
        let invitee = booking.invitee
        let details = inviteeDetails[invitee.uri] ?? InviteeDetails(name: "Customer", timezone: "UTC", answers: [])
        var fields: [JSONValue.Field] = JSONValue.fieldList([
            "uri": .string(invitee.uri.rawValue), "email": .string(invitee.email), "first_name": .null, "last_name": .null,
            "name": .string(details.name), "status": .string(booking.canceled ? "canceled" : "active"),
            "questions_and_answers": .array(details.answers.map {
                .object(["question": .string($0.question), "answer": .string($0.answer), "position": .int($0.position)])
            }),
            "timezone": .string(details.timezone), "event": .string(invitee.eventURI.rawValue),
            "created_at": .time(booking.createdAt), "updated_at": .time(booking.canceledAt ?? booking.createdAt),
            "tracking": .object(["utm_campaign": .null, "utm_source": booking.tracking?.utmSource.map(JSONValue.string) ?? .null, "utm_medium": .null,
                                 "utm_content": booking.tracking?.utmContent.map(JSONValue.string) ?? .null, "utm_term": .null,
                                 "salesforce_uuid": .null]),
            "text_reminder_number": .null, "rescheduled": .bool(booking.rescheduledTo != nil),
            "old_invitee": booking.rescheduledFrom.map { JSONValue.string($0.rawValue) } ?? .null,
            "new_invitee": booking.rescheduledTo.map { JSONValue.string($0.rawValue) } ?? .null,
            "cancel_url": .string(invitee.cancelURL), "reschedule_url": .string(invitee.rescheduleURL),
            "routing_form_submission": .null, "payment": .null, "no_show": .null, "reconfirmation": .null,
            "scheduling_method": booking.viaAPI ? .string("api") : .null, "invitee_scheduled_by": .null,
        ])
        if booking.canceled {
            fields.append(JSONValue.Field(key: "cancellation", value: .object([
                "canceled_by": .string(details.name), "reason": .null, "canceler_type": .string("invitee"), "created_at": .time(booking.canceledAt ?? booking.createdAt),
            ])))
        }
        return .fields(fields)
    }

    func scheduledEventJSON(_ booking: SimCalendly.Booking) -> JSONValue {
        let eventType = calendly.eventType(booking.eventType)
        let duration = Int64(eventType?.durationMinutes ?? 30)
        let active = booking.canceled ? 0 : 1
        return .object([
            "uri": .string(booking.invitee.eventURI.rawValue), "name": .string(eventType?.name ?? "Meeting"),
            "meeting_notes_plain": .null, "meeting_notes_html": .null, "status": .string(booking.canceled ? "canceled" : "active"),
            "start_time": .time(booking.invitee.start), "end_time": .time(booking.invitee.start + .minutes(duration)),
            "event_type": .string(booking.eventType.rawValue),
            "location": .object(["type": .string("zoom_conference"), "status": .null, "join_url": .null]),
            "invitees_counter": .object(["total": .int(1), "active": .int(active), "limit": .int(1)]),
            "created_at": .time(booking.createdAt), "updated_at": .time(booking.createdAt),
            "event_memberships": .array([.object(["user": .string(account.uri), "user_email": .string(account.email),
                                                  "user_name": .string(account.name)])]),
            "event_guests": .array([]),
        ])
    }

    func subscriptionJSON(_ subscription: Subscription) -> JSONValue {
        .object([
            "uri": .string(baseURL + "/webhook_subscriptions/" + subscription.uuid), "callback_url": .string(subscription.url),
            "created_at": .time(subscription.createdAt), "updated_at": .time(subscription.updatedAt ?? subscription.createdAt),
            "retry_started_at": .time(subscription.retryStartedAt),
            "state": .string(subscription.active ? "active" : "disabled"), "events": .array(subscription.events.map(JSONValue.string)), "scope": .string(subscription.scope),
            "organization": .string(subscription.organization), "user": .text(subscription.user), "group": .null,
            "creator": .string(account.uri),
        ])
    }
}

extension JSONValue {
    static func fieldList(_ pairs: KeyValuePairs<String, JSONValue>) -> [Field] { pairs.map { Field(key: $0.key, value: $0.value) } }
}
