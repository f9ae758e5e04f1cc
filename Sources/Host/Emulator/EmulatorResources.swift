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
            "locations": .array(locationOptions(eventType).map(locationOptionJSON)),
            "custom_questions": .array(eventType.customQuestions.map { question in
                .object([
                    "name": .string(question.name), "type": .string(question.type), "position": .int(question.position),
                    "enabled": .bool(question.enabled), "required": .bool(question.required),
                    "answer_choices": .array(question.answerChoices.map(JSONValue.string)), "include_other": .bool(question.includeOther),
                ])
            }),
        ])
    }

    /// An event type's `locations[]` entry: the host's address for `physical`/`custom`, the host's number
    /// for `inbound_call` (`phone_number`), nothing more for the kinds the invitee or a conference fills in.
    func locationOptionJSON(_ option: EventLocation) -> JSONValue {
        var fields = [JSONValue.Field(key: "kind", value: .string(option.kind))]
        switch option.kind {
        case "inbound_call": fields.append(JSONValue.Field(key: "phone_number", value: .text(option.location)))
        case "physical", "custom": fields.append(JSONValue.Field(key: "location", value: .text(option.location)))
        default: break
        }
        return .fields(fields)
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
            "uri": .string(invitee.uri.rawValue), "email": .string(invitee.email), "first_name": .text(details.firstName),
            "last_name": .text(details.lastName),
            "name": .string(details.name), "status": .string(booking.canceled ? "canceled" : "active"),
            "questions_and_answers": .array(details.answers.map {
                .object(["question": .string($0.question), "answer": .string($0.answer), "position": .int($0.position)])
            }),
            "timezone": .string(details.timezone), "event": .string(invitee.eventURI.rawValue),
            "created_at": .time(booking.createdAt), "updated_at": .time(booking.canceledAt ?? booking.createdAt),
            "tracking": .object(["utm_campaign": .null, "utm_source": booking.tracking?.utmSource.map(JSONValue.string) ?? .null, "utm_medium": .null,
                                 "utm_content": booking.tracking?.utmContent.map(JSONValue.string) ?? .null, "utm_term": .null,
                                 "salesforce_uuid": .null]),
            "text_reminder_number": .text(details.textReminderNumber), "rescheduled": .bool(booking.rescheduledTo != nil),
            "old_invitee": booking.rescheduledFrom.map { JSONValue.string($0.rawValue) } ?? .null,
            "new_invitee": booking.rescheduledTo.map { JSONValue.string($0.rawValue) } ?? .null,
            "cancel_url": .string(invitee.cancelURL), "reschedule_url": .string(invitee.rescheduleURL),
            "routing_form_submission": .null, "payment": .null, "no_show": .null, "reconfirmation": .null,
            "scheduling_method": booking.viaAPI ? .string("api") : .null, "invitee_scheduled_by": .null,
        ])
        if let cancellation = cancellationJSON(booking) { fields.append(JSONValue.Field(key: "cancellation", value: cancellation)) }
        return .fields(fields)
    }

    /// Calendly's `Cancellation` (all four fields required in the 2026 schema; research notes §6.2):
    /// the host's name and `host` for `POST /scheduled_events/{uuid}/cancellation`, the invitee's otherwise.
    func cancellationJSON(_ booking: SimCalendly.Booking) -> JSONValue? {
        guard booking.canceled else { return nil }
        let record = cancellations[booking.invitee.uri]
            ?? CancellationRecord(canceledBy: inviteeDetails[booking.invitee.uri]?.name ?? "Customer", reason: nil, cancelerType: "invitee",
                                  createdAt: booking.canceledAt ?? booking.createdAt)
        return .object(["canceled_by": .string(record.canceledBy), "reason": .text(record.reason), "canceler_type": .string(record.cancelerType),
                        "created_at": .time(record.createdAt)])
    }

    /// The booking's `location` as a scheduled event shows it (OpenAPI `Location`): conferences carry a
    /// `status` and `join_url` (the emulator's conference is always "pushed"); the others their text.
    func bookedLocationJSON(_ booking: SimCalendly.Booking) -> JSONValue {
        let chosen = inviteeDetails[booking.invitee.uri]?.location
            ?? defaultLocation(of: booking.eventType).map { BookedLocation(kind: $0.kind, location: $0.location) }
            ?? BookedLocation(kind: EventLocation.zoom.kind, location: nil)
        let id = lastSegment(booking.invitee.eventURI.rawValue)
        switch chosen.kind {
        case "zoom_conference":
            return .object(["type": .string("zoom_conference"), "status": .string("pushed"), "join_url": .string("https://zoom.us/j/emulated-\(id)")])
        case "google_conference", "microsoft_teams_conference", "gotomeeting_conference", "webex_conference":
            return .object(["type": .string(chosen.kind), "status": .string("pushed"),
                            "join_url": .string("https://calendly.com/events/\(id)/\(chosen.kind)")])
        default:
            return .object(["type": .string(chosen.kind), "location": .text(chosen.location)])
        }
    }

    /// What a booking without `location` gets: the first of the event type's locations that the host
    /// fills in (nil when every one needs the invitee's input).
    func defaultLocation(of eventType: CalendlyURI) -> EventLocation? {
        locationOptions(calendly.eventType(eventType)).first { !$0.needsInviteeInput }
    }

    /// The event type's `locations[]`; one without any (added by a hook, or stored before locations
    /// were kept) is a Zoom meeting, as the emulator's event types always were.
    func locationOptions(_ eventType: EventType?) -> [EventLocation] {
        guard let locations = eventType?.locations, !locations.isEmpty else { return [.zoom] }
        return locations
    }

    func scheduledEventJSON(_ booking: SimCalendly.Booking) -> JSONValue {
        let eventType = calendly.eventType(booking.eventType)
        let duration = Int64(eventType?.durationMinutes ?? 30)
        let active = booking.canceled ? 0 : 1
        let guests = inviteeDetails[booking.invitee.uri]?.eventGuests ?? []
        var fields = JSONValue.fieldList([
            "uri": .string(booking.invitee.eventURI.rawValue), "name": .string(eventType?.name ?? "Meeting"),
            "meeting_notes_plain": .null, "meeting_notes_html": .null, "status": .string(booking.canceled ? "canceled" : "active"),
            "start_time": .time(booking.invitee.start), "end_time": .time(booking.invitee.start + .minutes(duration)),
            "event_type": .string(booking.eventType.rawValue),
            "location": bookedLocationJSON(booking),
            "invitees_counter": .object(["total": .int(1), "active": .int(active), "limit": .int(1)]),
            "created_at": .time(booking.createdAt), "updated_at": .time(booking.canceledAt ?? booking.createdAt),
            "event_memberships": .array([.object(["user": .string(account.uri), "user_email": .string(account.email),
                                                  "user_name": .string(account.name)])]),
            "event_guests": .array(guests.map { .object(["email": .string($0), "created_at": .time(booking.createdAt),
                                                         "updated_at": .time(booking.createdAt)]) }),
            // Required in the OpenAPI `Event` (LegacyCalendarEvent): the host calendar's copy of the event.
            "calendar_event": .object(["kind": .string("google"),
                                       "external_id": .string("emu" + lastSegment(booking.invitee.eventURI.rawValue).lowercased())]),
        ])
        if let cancellation = cancellationJSON(booking) { fields.append(JSONValue.Field(key: "cancellation", value: cancellation)) }
        return .fields(fields)
    }

    /// A webhook body: Calendly's envelope around the full Invitee resource plus `scheduled_event`
    /// (research notes §6.2; the same Invitee `GET …/invitees/{uuid}` answers).
    func webhookJSON(event: String, _ booking: SimCalendly.Booking, at createdAt: Instant) -> JSONValue {
        var payload: [JSONValue.Field] = []
        if case .fields(let fields) = inviteeJSON(booking) { payload = fields }
        payload.append(JSONValue.Field(key: "scheduled_event", value: scheduledEventJSON(booking)))
        return .object(["created_at": .time(createdAt), "created_by": .string(account.uri), "event": .string(event), "payload": .fields(payload)])
    }

    func organizationJSON() -> JSONValue {
        .object([
            "uri": .string(account.organization), "name": .string("Emulated Organization"), "slug": .string("emulated-organization"),
            "status": .string("active"), "timezone": .string(account.timezone), "plan": .string("teams"), "stage": .string("paid"),
            "created_at": .time(account.createdAt), "updated_at": .time(account.createdAt),
        ])
    }

    /// The account's one organization membership: `owner` for an admin, `user` in non-admin mode.
    func membershipJSON() -> JSONValue {
        .object([
            "uri": .string(baseURL + "/organization_memberships/MEMBERSHIP"), "role": .string(organizationAdmin ? "owner" : "user"),
            "user": userJSON(), "organization": .string(account.organization),
            "created_at": .time(account.createdAt), "updated_at": .time(account.createdAt),
        ])
    }

    /// The schedule `SimCalendly` books against: every day, 08:00–18:00 UTC.
    func availabilityScheduleJSON() -> JSONValue {
        let days = ["sunday", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday"]
        return .object([
            "uri": .string(baseURL + "/user_availability_schedules/SCHEDULE"), "default": .bool(true), "name": .string("Working hours"),
            "user": .string(account.uri), "timezone": .string("UTC"),
            "rules": .array(days.map { day in
                .object(["type": .string("wday"), "wday": .string(day), "date": .null,
                         "intervals": .array([.object(["from": .string("08:00"), "to": .string("18:00")])])])
            }),
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
