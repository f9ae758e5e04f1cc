import Core
import Effects
import Foundation
import Interpreters

/// `api.calendly.com`: the resources the product uses, in Calendly's shapes, with Calendly's
/// validation, pagination and error bodies (calendly-api.md).
extension EmulatorModel {
    // MARK: Users

    func currentUser(_ request: EmulatorRequest, uuid: String = "me") -> EmulatorReply {
        guard case .success = authenticate(request, needs: ["users:read"]) else { return authFailure(request, ["users:read"]) }
        guard uuid == "me" || uuid == lastSegment(account.uri) else { return .notFound }
        return .resource(userJSON())
    }

    /// Listings are by `user` or `organization`, and only this account's (Calendly's 400 / 403 otherwise).
    func ownerRefusal(_ query: [String: String]) -> EmulatorReply? {
        if let user = query["user"] {
            return user == account.uri ? nil : .error(403, "Permission Denied", "This user is not in your organization")
        }
        if let organization = query["organization"] {
            return organization == account.organization ? nil : .permissionDenied
        }
        return .invalid("user", "user or organization is required")
    }

    // MARK: Event types

    func listEventTypes(_ request: EmulatorRequest) -> EmulatorReply {
        guard case .success = authenticate(request, needs: ["event_types:read"]) else { return authFailure(request, ["event_types:read"]) }
        let query = request.query
        if let refused = ownerRefusal(query) { return refused }
        var items = calendly.eventTypes
        switch query["active"] {
        case "true"?: items = items.filter(\.active)
        case "false"?: items = items.filter { !$0.active }
        case nil: break
        default: return .invalid("active", "must be true or false")
        }
        if query["sort"]?.hasPrefix("name") == true {
            items.sort { $0.name < $1.name }
            if query["sort"] == "name:desc" { items.reverse() }
        }
        return paginate(items.map(eventTypeJSON), request, path: "/event_types")
    }

    func getEventType(_ request: EmulatorRequest, uuid: String) -> EmulatorReply {
        guard case .success = authenticate(request, needs: ["event_types:read"]) else { return authFailure(request, ["event_types:read"]) }
        guard let eventType = eventType(bySegment: uuid) else { return .notFound }
        return .resource(eventTypeJSON(eventType))
    }

    // MARK: Availability

    func availableTimes(_ request: EmulatorRequest) -> EmulatorReply {
        let scopes = ["availability:read", "event_types:read"]
        guard case .success = authenticate(request, needs: scopes) else { return authFailure(request, scopes) }
        let query = request.query
        var missing: [(String, String)] = []
        for name in ["event_type", "start_time", "end_time"] where (query[name] ?? "").isEmpty { missing.append((name, "is required")) }
        guard missing.isEmpty else { return .invalid(missing) }
        guard let from = Instant(iso8601: query["start_time"]!) else { return .invalid("start_time", "must be a valid ISO 8601 date-time") }
        guard let to = Instant(iso8601: query["end_time"]!) else { return .invalid("end_time", "must be a valid ISO 8601 date-time") }
        guard let eventType = eventType(bySegment: lastSegment(query["event_type"]!)) else { return .notFound }
        guard from >= now - .seconds(5) else { return .invalid("start_time", "Date cannot be in the past") }
        guard to > from else { return .invalid("end_time", "Date must be in the future and after start_time") }
        // 31 days since 2026-07-09 (was 7): calendly-api.md; research notes §4 quote the end_time rule.
        guard to - from <= EmulatorModel.maxAvailabilityRange else {
            return .invalid("end_time", "Date must be in the future and no greater than 31 days from start_time")
        }
        guard eventType.active else { return .json(200, .object(["collection": .array([])])) }
        // The shared model answers at most a week at a time (the simulator's Calendly of old): ask it
        // week by week over the half-open range [from, to).
        var slots: [Slot] = []
        var cursor = from
        while cursor < to {
            let end = min(to, cursor + SimCalendly.maxAvailabilityRange)
            switch calendly.availableTimes(eventType: eventType.uri, from: cursor, to: end, now: now) {
            case .success(let found): slots += found
            case .failure(.notFound): return .notFound
            case .failure(let failure): return .invalid("start_time", failure.reasonText)
            }
            cursor = end
        }
        return .json(200, .object(["collection": .array(slots.map { availableTimeJSON($0, eventType) })]))
    }

    static let maxAvailabilityRange = Span.days(31)

    // MARK: Booking (the Scheduling API)

    func createInvitee(_ request: EmulatorRequest) -> EmulatorReply {
        guard case .success = authenticate(request, needs: ["scheduled_events:write"]) else { return authFailure(request, ["scheduled_events:write"]) }
        if let held = admitBooking() { return held }
        guard let body = request.jsonObject else { return .invalid("body", "must be a JSON object") }
        let invitee = body["invitee"] as? [String: Any] ?? [:]
        var problems: [(String, String)] = []
        let eventTypeURI = body["event_type"] as? String ?? ""
        let startText = body["start_time"] as? String ?? ""
        let email = (invitee["email"] as? String ?? "").trimmingCharacters(in: .whitespaces)
        let timezone = invitee["timezone"] as? String ?? ""
        let firstName = nonEmpty(invitee["first_name"] as? String), lastName = nonEmpty(invitee["last_name"] as? String)
        let name = nonEmpty(invitee["name"] as? String) ?? [firstName, lastName].compactMap { $0 }.joined(separator: " ")
        if eventTypeURI.isEmpty { problems.append(("event_type", "is required")) }
        if startText.isEmpty { problems.append(("start_time", "is required")) }
        if body["invitee"] == nil { problems.append(("invitee", "is required")) }
        if email.isEmpty { problems.append(("invitee.email", "is required")) } else if EmailAddress.normalized(email) == nil {
            problems.append(("invitee.email", "is invalid"))
        }
        if timezone.isEmpty { problems.append(("invitee.timezone", "is required")) } else if TimeZone(identifier: timezone) == nil {
            problems.append(("invitee.timezone", "is not a valid IANA time zone"))
        }
        if name.trimmingCharacters(in: .whitespaces).isEmpty { problems.append(("invitee.name", "name or first_name is required")) }
        let reminder = nonEmpty(invitee["text_reminder_number"] as? String)
        if let reminder, !Self.isPhoneNumber(reminder) { problems.append(("invitee.text_reminder_number", "is invalid")) }
        // `event_guests`: email[], "Max 10" (research notes §5.1).
        let guestValues = body["event_guests"] as? [Any] ?? []
        if body["event_guests"] != nil, body["event_guests"] as? [Any] == nil { problems.append(("event_guests", "must be an array of emails")) }
        let guests = guestValues.compactMap { $0 as? String }
        if guests.count != guestValues.count || guests.contains(where: { EmailAddress.normalized($0) == nil }) {
            problems.append(("event_guests", "must be valid email addresses"))
        } else if guests.count > 10 {
            problems.append(("event_guests", "can have at most 10 guests"))
        }
        guard problems.isEmpty else { return .invalid(problems) }
        guard let start = Instant(iso8601: startText) else { return .invalid("start_time", "must be a valid ISO 8601 date-time") }
        guard let eventType = eventType(bySegment: lastSegment(eventTypeURI)) else { return .notFound }
        guard eventType.active else { return .invalid("event_type", "This event type is not active") }
        guard eventType.bookingMethod == .instant else { return .invalid("event_type", "Meeting polls cannot be booked through the API") }
        guard !eventType.isPaid else { return .invalid("event_type", "Event types that require payment cannot be booked through the API") }
        guard start > now else { return .invalid("start_time", "must be in the future") }
        var answers: [InviteeDetails.Answer] = []
        for (index, item) in (body["questions_and_answers"] as? [[String: Any]] ?? []).enumerated() {
            guard let question = item["question"] as? String, let answer = item["answer"] as? String else {
                return .invalid("questions_and_answers", "question and answer are required")
            }
            guard eventType.customQuestions.contains(where: { $0.enabled && $0.name == question }) else {
                return .invalid("questions_and_answers", "Question \"\(question)\" does not match a question of this event type")
            }
            answers.append(InviteeDetails.Answer(question: question, answer: answer, position: (item["position"] as? Int) ?? index))
        }
        for question in eventType.customQuestions where question.enabled && question.required {
            guard answers.contains(where: { $0.question == question.name && nonEmpty($0.answer) != nil }) else {
                return .invalid("questions_and_answers", "Required question \"\(question.name)\" must be answered")
            }
        }
        let location: BookedLocation?
        switch bookedLocation(body["location"], eventType: eventType.uri) {
        case .success(let chosen): location = chosen
        case .failure(let refusal): return refusal
        }
        let booking = InviteeRequest(eventType: eventType.uri, start: start, email: email, name: name, timeZone: timezone)
        let utm = body["tracking"] as? [String: Any] ?? [:]
        let tracking = utm.isEmpty ? nil : BookingTracking(utmSource: utm["utm_source"] as? String, utmContent: utm["utm_content"] as? String)
        switch calendly.createInvitee(booking, key: nil, now: now, tracking: tracking) {
        case .success(let created):
            inviteeDetails[created.uri] = InviteeDetails(name: name, timezone: timezone, answers: answers, firstName: firstName, lastName: lastName,
                                                         textReminderNumber: reminder, eventGuests: guests, location: location)
            deliverWebhooks()
            guard let record = calendly.bookings.last(where: { $0.invitee.uri == created.uri }) else { return .notFound }
            return .resource(inviteeJSON(record), status: 201)
        case .failure(.slotUnavailable):
            return .slotTaken
        case .failure(.notFound):
            return .notFound
        case .failure(let failure):
            return .invalid("invitee", failure.reasonText)
        }
    }

    /// `POST /invitees` `location` {`kind`, `location`}: the kind must be one of the event type's ("Location
    /// must match location specified on the EventType"); `outbound_call` needs the invitee's phone number
    /// and `ask_invitee` their text (research notes §5.1). Without it, the event type's first location the
    /// host fills in — or a 400 when every location needs the invitee.
    func bookedLocation(_ value: Any?, eventType: CalendlyURI) -> Result<BookedLocation, EmulatorReply> {
        let options = locationOptions(calendly.eventType(eventType))
        guard let value else {
            guard let fallback = defaultLocation(of: eventType) else { return .failure(.invalid("location", "is required for this event type")) }
            return .success(BookedLocation(kind: fallback.kind, location: fallback.location))
        }
        guard let object = value as? [String: Any] else { return .failure(.invalid("location", "must be an object")) }
        guard let kind = nonEmpty(object["kind"] as? String) else { return .failure(.invalid("location.kind", "is required")) }
        guard let option = options.first(where: { $0.kind == kind }) else {
            return .failure(.invalid("location.kind", "Location must match location specified on the EventType"))
        }
        let given = nonEmpty(object["location"] as? String)
        guard option.needsInviteeInput else { return .success(BookedLocation(kind: kind, location: option.location)) }
        guard let given else { return .failure(.invalid("location.location", "is required")) }
        if kind == "outbound_call", !Self.isPhoneNumber(given) { return .failure(.invalid("location.location", "must be a valid phone number")) }
        return .success(BookedLocation(kind: kind, location: given))
    }

    /// A phone number as Calendly's examples write it (`+14155551234`): a plus, then 7–15 digits;
    /// spaces, dashes, dots and parentheses are tolerated between them.
    static func isPhoneNumber(_ text: String) -> Bool {
        guard text.first == "+" else { return false }
        var digits = 0
        for character in text.dropFirst() {
            if character.isASCII, character.isNumber { digits += 1 } else if !" -.()".contains(character) { return false }
        }
        return (7...15).contains(digits)
    }

    func nonEmpty(_ text: String?) -> String? {
        guard let trimmed = text?.trimmingCharacters(in: .whitespacesAndNewlines), !trimmed.isEmpty else { return nil }
        return trimmed
    }

    /// The account's booking cap (one emulated user): a 429 with Calendly's rate-limit headers once it
    /// is reached, counted like Calendly counts (every admitted `POST /invitees`).
    func admitBooking() -> EmulatorReply? {
        guard var quota = bookingQuota else { return nil }
        defer { bookingQuota = quota }
        switch quota.admit(at: now) {
        case .send: return nil
        case .hold(let until):
            let reset = max(1, (until - now).milliseconds / 1000 + 1)
            let limit = quota.tier.windows.map(\.limit).min() ?? 0
            return .error(429, "Too Many Requests", "You have exceeded the rate limit. Please try again later.",
                          headers: [("X-RateLimit-Limit", String(limit)), ("X-RateLimit-Remaining", "0"), ("X-RateLimit-Reset", String(reset))])
        }
    }

    // MARK: Scheduled events

    func listScheduledEvents(_ request: EmulatorRequest) -> EmulatorReply {
        guard case .success = authenticate(request, needs: ["scheduled_events:read"]) else { return authFailure(request, ["scheduled_events:read"]) }
        let query = request.query
        if let refused = ownerRefusal(query) { return refused }
        var bookings = calendly.bookings
        if let email = query["invitee_email"] { bookings = bookings.filter { $0.invitee.email.lowercased() == email.lowercased() } }
        switch query["status"] {
        case "active"?: bookings = bookings.filter { !$0.canceled }
        case "canceled"?: bookings = bookings.filter(\.canceled)
        case nil: break
        default: return .invalid("status", "must be active or canceled")
        }
        for (name, keep) in [("min_start_time", { (start: Instant, bound: Instant) in start >= bound }),
                             ("max_start_time", { (start: Instant, bound: Instant) in start < bound })] {
            guard let text = query[name] else { continue }
            guard let bound = Instant(iso8601: text) else { return .invalid(name, "must be a valid ISO 8601 date-time") }
            bookings = bookings.filter { keep($0.invitee.start, bound) }
        }
        bookings.sort { $0.invitee.start == $1.invitee.start ? $0.invitee.uri < $1.invitee.uri : $0.invitee.start < $1.invitee.start }
        if query["sort"] == "start_time:desc" { bookings.reverse() }
        return paginate(bookings.map(scheduledEventJSON), request, path: "/scheduled_events")
    }

    func getScheduledEvent(_ request: EmulatorRequest, uuid: String) -> EmulatorReply {
        guard case .success = authenticate(request, needs: ["scheduled_events:read"]) else { return authFailure(request, ["scheduled_events:read"]) }
        guard let booking = calendly.bookings.first(where: { lastSegment($0.invitee.eventURI.rawValue) == uuid }) else { return .notFound }
        return .resource(scheduledEventJSON(booking))
    }

    func listInvitees(_ request: EmulatorRequest, event uuid: String) -> EmulatorReply {
        guard case .success = authenticate(request, needs: ["scheduled_events:read"]) else { return authFailure(request, ["scheduled_events:read"]) }
        var bookings = calendly.bookings.filter { lastSegment($0.invitee.eventURI.rawValue) == uuid }
        guard !bookings.isEmpty else { return .notFound }
        if let email = request.query["email"] { bookings = bookings.filter { $0.invitee.email.lowercased() == email.lowercased() } }
        switch request.query["status"] {
        case "active"?: bookings = bookings.filter { !$0.canceled }
        case "canceled"?: bookings = bookings.filter(\.canceled)
        case nil: break
        default: return .invalid("status", "must be active or canceled")
        }
        return paginate(bookings.map(inviteeJSON), request, path: "/scheduled_events/\(uuid)/invitees")
    }

    func getInvitee(_ request: EmulatorRequest, event: String, invitee: String) -> EmulatorReply {
        guard case .success = authenticate(request, needs: ["scheduled_events:read"]) else { return authFailure(request, ["scheduled_events:read"]) }
        guard let booking = calendly.bookings.first(where: {
            lastSegment($0.invitee.eventURI.rawValue) == event && lastSegment($0.invitee.uri.rawValue) == invitee
        }) else { return .notFound }
        return .resource(inviteeJSON(booking))
    }

    /// `POST /scheduled_events/{uuid}/cancellation` (the host cancels): body `{reason?}` (≤ 10,000
    /// characters); 201 `{resource: Cancellation}`; 403 "Event in the past" / "Event is already canceled"
    /// (research notes §5, Cancel Event page). Each invitee then shows the host's cancellation.
    func cancelEvent(_ request: EmulatorRequest, uuid: String) -> EmulatorReply {
        guard case .success = authenticate(request, needs: ["scheduled_events:write"]) else { return authFailure(request, ["scheduled_events:write"]) }
        let matching = calendly.bookings.filter { lastSegment($0.invitee.eventURI.rawValue) == uuid }
        guard let first = matching.first else { return .notFound }
        guard matching.contains(where: { !$0.canceled }) else { return .error(403, "Permission Denied", "Event is already canceled") }
        guard first.invitee.start > now else { return .error(403, "Permission Denied", "Event in the past") }
        let body = request.jsonObject ?? [:]
        if let given = body["reason"], !(given is String), !(given is NSNull) { return .invalid("reason", "must be a string") }
        let reason = body["reason"] as? String
        if let reason, reason.count > 10_000 { return .invalid("reason", "is too long (maximum is 10000 characters)") }
        let record = CancellationRecord(canceledBy: account.name, reason: reason, cancelerType: "host", createdAt: now)
        for booking in matching where !booking.canceled {
            calendly.cancel(booking.invitee.uri, now: now)
            cancellations[booking.invitee.uri] = record
        }
        deliverWebhooks()
        return .resource(.object(["canceled_by": .string(record.canceledBy), "reason": .text(record.reason),
                                  "canceler_type": .string(record.cancelerType), "created_at": .time(record.createdAt)]), status: 201)
    }

    // MARK: - Helpers

    /// 401 or 403 for a request `authenticate` refused.
    func authFailure(_ request: EmulatorRequest, _ scopes: [String]) -> EmulatorReply {
        if case .failure(let reply) = authenticate(request, needs: scopes) { return reply }
        return .unauthenticated
    }

    func eventType(bySegment segment: String) -> EventType? {
        calendly.eventTypes.first { lastSegment($0.uri.rawValue) == segment }
    }

    func lastSegment(_ uri: String) -> String {
        let path = uri.split(separator: "?").first.map(String.init) ?? uri
        return path.split(separator: "/").last.map(String.init) ?? ""
    }

    /// Keyset-looking pagination: `count` 1…100 (default 20), opaque `page_token`, absolute
    /// `next_page`/`previous_page` on the emulator's own base URL.
    func paginate(_ items: [JSONValue], _ request: EmulatorRequest, path: String) -> EmulatorReply {
        var count = 20
        if let text = request.query["count"] {
            guard let value = Int(text), (1...100).contains(value) else { return .invalid("count", "must be between 1 and 100") }
            count = value
        }
        var offset = 0
        if let token = request.query["page_token"], !token.isEmpty {
            guard let decoded = Self.decodePageToken(token), decoded <= items.count else { return .invalid("page_token", "is invalid") }
            offset = decoded
        }
        let page = Array(items[offset..<min(items.count, offset + count)])
        let others = request.query.filter { $0.key != "page_token" && $0.key != "count" }.sorted { $0.key < $1.key }
        func link(_ token: String) -> String {
            let pairs = others.map { ($0.key, $0.value) } + [("count", String(count)), ("page_token", token)]
            return baseURL + path + "?" + pairs.map { "\(Self.escape($0.0))=\(Self.escape($0.1))" }.joined(separator: "&")
        }
        let next = offset + count < items.count ? Self.encodePageToken(offset + count) : nil
        let previous = offset > 0 ? Self.encodePageToken(max(0, offset - count)) : nil
        return .json(200, .object([
            "collection": .array(page),
            "pagination": .object([
                "count": .int(page.count), "next_page": .text(next.map(link)), "previous_page": .text(previous.map(link)),
                "next_page_token": .text(next), "previous_page_token": .text(previous),
            ]),
        ]))
    }

    static func encodePageToken(_ offset: Int) -> String {
        CalendlyPKCE.base64URL(Array("emu-page:\(offset)".utf8))
    }

    static func decodePageToken(_ token: String) -> Int? {
        var base64 = token.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while base64.count % 4 != 0 { base64 += "=" }
        guard let data = Data(base64Encoded: base64), let text = String(data: data, encoding: .utf8), text.hasPrefix("emu-page:"),
              let offset = Int(text.dropFirst(9)), offset >= 0 else { return nil }
        return offset
    }
}

extension CalendlyFailure {
    /// The model's failure as a sentence for a 400 body.
    var reasonText: String {
        switch self {
        case .rejected(let message): return message
        case .slotUnavailable: return "The selected time is no longer available."
        default: return reason
        }
    }
}
