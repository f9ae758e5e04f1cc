import Core
import Effects

/// One model of Calendly, used by both the deterministic simulator and the HTTP emulator ("one model,
/// two faces"). Pure value type: no clock, no I/O — callers pass `now` and collect the webhooks it emits.
public struct SimCalendly: Sendable {
    public struct Booking: Sendable, Hashable {
        public var invitee: Invitee
        public var eventType: CalendlyURI
        /// The booking key the client used (Calendly has no idempotency header; recorded for audits only).
        public var key: BookingKey?
        public var createdAt: Instant
        public var canceled: Bool
        public var viaAPI: Bool
        /// UTM parameters of the page it was booked from (link bookings), echoed in its webhooks.
        public var tracking: BookingTracking? = nil
        /// Set on the old booking of a reschedule (its `new_invitee`) and on the new one (its `old_invitee`).
        public var rescheduledTo: CalendlyURI? = nil
        public var rescheduledFrom: CalendlyURI? = nil
        public var canceledAt: Instant? = nil
    }

    /// Calendly's availability rule for an event type: fixed-length slots in a daily UTC window.
    public struct Schedule: Sendable, Hashable {
        public var dayStartMinute: Int
        public var dayEndMinute: Int
        public var slotMinutes: Int
        public init(dayStartMinute: Int = 60, dayEndMinute: Int = 9 * 60, slotMinutes: Int = 30) {
            self.dayStartMinute = dayStartMinute; self.dayEndMinute = dayEndMinute; self.slotMinutes = slotMinutes
        }
    }

    public struct OutgoingWebhook: Sendable, Hashable {
        public var body: [UInt8]
        public var kind: InviteeNotice.Kind
        public var createdAt: Instant
        /// Whose booking it tells of: the event type decides which subscription carries it, the invitee
        /// lets a receiver's order be judged.
        public var eventType: CalendlyURI
        public var invitee: CalendlyURI
    }

    public static let maxAvailabilityRange = Span.days(7)

    public private(set) var eventTypes: [EventType] = []
    private var eventTypeIndex: [CalendlyURI: Int] = [:]
    public private(set) var schedules: [CalendlyURI: Schedule] = [:]
    public private(set) var bookings: [Booking] = []
    /// Active booking index per (event type, start).
    private var taken: [SlotKey: Int] = [:]
    private var byEmail: [String: [Int]] = [:]
    private var byInvitee: [CalendlyURI: Int] = [:]
    public private(set) var outbox: [OutgoingWebhook] = []
    /// `/webhook_subscriptions` (see SimCalendlyWebhookSubscriptions.swift).
    public internal(set) var webhookSubscriptions: [WebhookSubscriptionRecord] = []
    var subscriptionSequence = 0
    private var sequence = 0
    public let baseURL: String

    struct SlotKey: Hashable { var eventType: CalendlyURI; var start: Instant }

    public init(baseURL: String = "https://api.calendly.com") { self.baseURL = baseURL }

    public mutating func addEventType(_ eventType: EventType, schedule: Schedule = Schedule()) {
        if let existing = eventTypeIndex[eventType.uri] {
            eventTypes[existing] = eventType
        } else {
            eventTypeIndex[eventType.uri] = eventTypes.count
            eventTypes.append(eventType)
        }
        schedules[eventType.uri] = schedule
    }

    public func eventType(_ uri: CalendlyURI) -> EventType? { eventTypeIndex[uri].map { eventTypes[$0] } }

    // MARK: - Reads

    public func availableTimes(eventType uri: CalendlyURI, from: Instant, to: Instant, now: Instant) -> Result<[Slot], CalendlyFailure> {
        guard let schedule = schedules[uri] else { return .failure(.notFound) }
        guard from >= now - .seconds(5) else { return .failure(.rejected(message: "start_time must be in the future")) }
        guard to > from, to - from <= SimCalendly.maxAvailabilityRange else { return .failure(.rejected(message: "date range can be no greater than 7 days")) }
        var slots: [Slot] = []
        let step = Int64(schedule.slotMinutes) * 60_000
        var day = from.utcDate.daysSince1970
        let lastDay = to.utcDate.daysSince1970
        while day <= lastDay {
            var minute = schedule.dayStartMinute
            while minute + schedule.slotMinutes <= schedule.dayEndMinute {
                let start = Instant(millisecondsSince1970: day * 86_400_000 + Int64(minute) * 60_000)
                if start >= from, start < to, taken[SlotKey(eventType: uri, start: start)] == nil { slots.append(Slot(start: start)) }
                minute += Int(step / 60_000)
            }
            day += 1
        }
        return .success(slots)
    }

    /// Calendly's answer to a lookup (see `CalendlyCall.findInvitee`), by the live performer's rules
    /// (`InviteeLookup`, `InviteeSelection`): the active booking, else the one canceled last.
    public func findInvitee(eventType: CalendlyURI, email: String, start: Instant) -> Invitee? {
        let candidates = (byEmail[BookingReference.emailKey(email)] ?? []).map { bookings[$0] }
            .filter { InviteeLookup.isCandidate(eventStart: $0.invitee.start, eventType: $0.eventType, start: start, booked: eventType)
                && InviteeLookup.isSameInvitee(listedEmail: $0.invitee.email, lookedUp: email) }
            .map { booking -> Invitee in
                var invitee = booking.invitee
                if booking.canceled { invitee.canceledAt = ListedInviteeTimes.canceledAtForLookup(stated: booking.canceledAt, start: start) }
                return invitee
            }
        return InviteeSelection.select(candidates)
    }

    public func isValidStart(_ start: Instant, eventType: CalendlyURI) -> Bool {
        guard let schedule = schedules[eventType] else { return false }
        let minuteOfDay = Int(start.millisecondsSince1970.floorMod(86_400_000) / 60_000)
        return start.millisecondsSince1970 % 60_000 == 0 && minuteOfDay >= schedule.dayStartMinute
            && minuteOfDay + schedule.slotMinutes <= schedule.dayEndMinute && (minuteOfDay - schedule.dayStartMinute) % schedule.slotMinutes == 0
    }

    public func booking(of invitee: CalendlyURI) -> Booking? { byInvitee[invitee].map { bookings[$0] } }

    public func bookings(ofEmail email: String) -> [Booking] { (byEmail[BookingReference.emailKey(email)] ?? []).map { bookings[$0] } }

    public func activeBooking(eventType: CalendlyURI, start: Instant) -> Booking? {
        taken[SlotKey(eventType: eventType, start: start)].map { bookings[$0] }
    }

    // MARK: - Writes

    /// `POST /invitees`: capacity 1 per slot; a taken slot is Calendly's 400 "no longer available".
    public mutating func createInvitee(_ request: InviteeRequest, key: BookingKey?, now: Instant, viaAPI: Bool = true,
                                       tracking: BookingTracking? = nil) -> Result<Invitee, CalendlyFailure> {
        guard let eventType = eventType(request.eventType) else { return .failure(.notFound) }
        guard eventType.active, !eventType.isPaid else { return .failure(.rejected(message: "event type cannot be booked")) }
        guard !request.email.isEmpty, request.email.contains("@") else { return .failure(.rejected(message: "invitee.email is invalid")) }
        guard request.start > now, isValidStart(request.start, eventType: request.eventType) else { return .failure(.slotUnavailable) }
        let slot = SlotKey(eventType: request.eventType, start: request.start)
        guard taken[slot] == nil else { return .failure(.slotUnavailable) }
        sequence += 1
        let eventID = "EV\(sequence)", inviteeID = "IN\(sequence)"
        let invitee = Invitee(
            uri: CalendlyURI("\(baseURL)/scheduled_events/\(eventID)/invitees/\(inviteeID)"),
            eventURI: CalendlyURI("\(baseURL)/scheduled_events/\(eventID)"),
            email: request.email, start: request.start,
            cancelURL: "https://calendly.com/cancellations/\(inviteeID)",
            rescheduleURL: "https://calendly.com/reschedulings/\(inviteeID)"
        )
        let index = bookings.count
        bookings.append(Booking(invitee: invitee, eventType: request.eventType, key: key, createdAt: now, canceled: false, viaAPI: viaAPI, tracking: tracking))
        taken[slot] = index
        byEmail[BookingReference.emailKey(request.email), default: []].append(index)
        byInvitee[invitee.uri] = index
        outbox.append(OutgoingWebhook(body: webhookBody(.created, bookings[index], at: now), kind: .created, createdAt: now,
                                      eventType: bookings[index].eventType, invitee: bookings[index].invitee.uri))
        return .success(invitee)
    }

    /// The invitee cancels from Calendly's email link; frees the slot and emits `invitee.canceled`.
    @discardableResult
    public mutating func cancel(_ invitee: CalendlyURI, now: Instant) -> Bool {
        guard let index = byInvitee[invitee], !bookings[index].canceled else { return false }
        bookings[index].canceled = true
        bookings[index].canceledAt = now
        taken[SlotKey(eventType: bookings[index].eventType, start: bookings[index].invitee.start)] = nil
        outbox.append(OutgoingWebhook(body: webhookBody(.canceled, bookings[index], at: now), kind: .canceled, createdAt: now,
                                      eventType: bookings[index].eventType, invitee: bookings[index].invitee.uri))
        return true
    }

    /// The invitee moves their booking to `start` from Calendly's reschedule page. Like Calendly, the old
    /// invitee is canceled (`rescheduled: true`, `new_invitee`) and a new one is created (`old_invitee`):
    /// two webhooks, canceled first here (a receiver must not rely on that order).
    public mutating func reschedule(_ invitee: CalendlyURI, to start: Instant, now: Instant) -> Result<Invitee, CalendlyFailure> {
        guard let index = byInvitee[invitee], !bookings[index].canceled else { return .failure(.notFound) }
        let old = bookings[index]
        guard start > now, isValidStart(start, eventType: old.eventType) else { return .failure(.slotUnavailable) }
        guard taken[SlotKey(eventType: old.eventType, start: start)] == nil else { return .failure(.slotUnavailable) }
        let request = InviteeRequest(eventType: old.eventType, start: start, email: old.invitee.email, name: nil, timeZone: "UTC")
        // The new booking first (so the slot check above is Calendly's), then the old one is let go.
        let outboxBefore = outbox.count
        guard case .success(let moved) = createInvitee(request, key: nil, now: now, viaAPI: false, tracking: old.tracking) else { return .failure(.slotUnavailable) }
        outbox.removeSubrange(outboxBefore...)
        let newIndex = bookings.count - 1
        bookings[newIndex].rescheduledFrom = invitee
        bookings[index].rescheduledTo = moved.uri
        bookings[index].canceled = true
        bookings[index].canceledAt = now
        taken[SlotKey(eventType: old.eventType, start: old.invitee.start)] = nil
        outbox.append(OutgoingWebhook(body: webhookBody(.canceled, bookings[index], at: now), kind: .canceled, createdAt: now,
                                      eventType: bookings[index].eventType, invitee: bookings[index].invitee.uri))
        outbox.append(OutgoingWebhook(body: webhookBody(.created, bookings[newIndex], at: now), kind: .created, createdAt: now,
                                      eventType: bookings[newIndex].eventType, invitee: bookings[newIndex].invitee.uri))
        return .success(moved)
    }

    public mutating func drainOutbox() -> [OutgoingWebhook] {
        defer { outbox.removeAll(keepingCapacity: true) }
        return outbox
    }

    // MARK: - Webhook bodies (Calendly's shape, with a few fields the core ignores)

    func webhookBody(_ kind: InviteeNotice.Kind, _ booking: Booking, at now: Instant) -> [UInt8] {
        let invitee = booking.invitee
        let type = eventType(booking.eventType)
        let name = type?.name ?? ""
        let duration = Int64(EventTypeDefaults.durationMinutes(type?.durationMinutes))
        let status = kind == .created ? "active" : "canceled"
        let cancellation = kind == .canceled ? #","cancellation":{"canceled_by":"Invitee","reason":"","canceler_type":"invitee"}"# : ""
        let newInvitee = kind == .canceled ? booking.rescheduledTo.map { #""\#($0)""# } ?? "null" : "null"
        let oldInvitee = kind == .created ? booking.rescheduledFrom.map { #""\#($0)""# } ?? "null" : "null"
        let rescheduled = kind == .canceled && booking.rescheduledTo != nil
        let source = booking.tracking?.utmSource.map { #""\#(JSONText.escape($0))""# } ?? "null"
        let content = booking.tracking?.utmContent.map { #""\#(JSONText.escape($0))""# } ?? "null"
        let json = #"{"created_at":"\#(now.iso8601)","created_by":"\#(baseURL)/users/HOST","event":"\#(kind.rawValue)","payload":{"#
            + #""cancel_url":"\#(invitee.cancelURL)","created_at":"\#(booking.createdAt.iso8601)","email":"\#(JSONText.escape(invitee.email))","#
            + #""event":"\#(invitee.eventURI)","name":"Customer","new_invitee":\#(newInvitee),"old_invitee":\#(oldInvitee),"questions_and_answers":[],"#
            + #""reschedule_url":"\#(invitee.rescheduleURL)","rescheduled":\#(rescheduled),"status":"\#(status)","timezone":"UTC","#
            + #""tracking":{"utm_campaign":null,"utm_source":\#(source),"utm_medium":null,"utm_content":\#(content),"utm_term":null,"salesforce_uuid":null},"#
            + #""scheduled_event":{"uri":"\#(invitee.eventURI)","name":"\#(JSONText.escape(name))","start_time":"\#(invitee.start.iso8601)","#
            + #""end_time":"\#((invitee.start + .minutes(duration)).iso8601)","event_type":"\#(booking.eventType)","location":{"type":"zoom_conference","join_url":null}},"#
            + #""uri":"\#(invitee.uri)"\#(cancellation)}}"#
        return Array(json.utf8)
    }
}

public enum JSONText {
    public static func escape(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                if scalar.value < 0x20 {
                    let hex = String(scalar.value, radix: 16)
                    out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out
    }
}
