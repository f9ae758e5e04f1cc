import Effects
import Foundation
import Interpreters

/// The account's surroundings that AI-agent tool servers read before they book: the organization, its
/// membership (the role says whether organization webhooks are allowed), busy times, availability
/// schedules, and single-use scheduling links. Shapes per Calendly's OpenAPI (`Organization`,
/// `OrganizationMembership`, `UserBusyTime`, `AvailabilitySchedule`, `SchedulingLink`).
extension EmulatorModel {
    func getOrganization(_ request: EmulatorRequest, uuid: String) -> EmulatorReply {
        let scopes = ["organizations:read", "users:read"]
        guard case .success = authenticate(request, needs: scopes) else { return authFailure(request, scopes) }
        guard uuid == lastSegment(account.organization) else { return .notFound }
        return .resource(organizationJSON())
    }

    /// `GET /organization_memberships?user=|organization=` (one of them required, Calendly's 400 otherwise).
    func listMemberships(_ request: EmulatorRequest) -> EmulatorReply {
        let scopes = ["organizations:read", "users:read"]
        guard case .success = authenticate(request, needs: scopes) else { return authFailure(request, scopes) }
        if let refused = ownerRefusal(request.query) { return refused }
        if let email = request.query["email"], email.lowercased() != account.email { return paginate([], request, path: "/organization_memberships") }
        return paginate([membershipJSON()], request, path: "/organization_memberships")
    }

    func getMembership(_ request: EmulatorRequest, uuid: String) -> EmulatorReply {
        let scopes = ["organizations:read", "users:read"]
        guard case .success = authenticate(request, needs: scopes) else { return authFailure(request, scopes) }
        guard uuid == "MEMBERSHIP" else { return .notFound }
        return .resource(membershipJSON())
    }

    /// `GET /user_busy_times?user&start_time&end_time`: the account's active bookings overlapping the
    /// range, at most 7 days (the 31-day change was for available times only; research notes §4).
    func userBusyTimes(_ request: EmulatorRequest) -> EmulatorReply {
        let scopes = ["availability:read"]
        guard case .success = authenticate(request, needs: scopes) else { return authFailure(request, scopes) }
        let query = request.query
        var missing: [(String, String)] = []
        for name in ["user", "start_time", "end_time"] where (query[name] ?? "").isEmpty { missing.append((name, "is required")) }
        guard missing.isEmpty else { return .invalid(missing) }
        guard query["user"] == account.uri else { return .error(403, "Permission Denied", "This user is not in your organization") }
        guard let from = Instant(iso8601: query["start_time"] ?? "") else { return .invalid("start_time", "must be a valid ISO 8601 date-time") }
        guard let to = Instant(iso8601: query["end_time"] ?? "") else { return .invalid("end_time", "must be a valid ISO 8601 date-time") }
        guard to > from else { return .invalid("end_time", "must be after start_time") }
        guard to - from <= SimCalendly.maxAvailabilityRange else { return .invalid("end_time", "Date range can be no greater than 1 week (7 days)") }
        let busy = calendly.bookings.filter { booking in
            guard !booking.canceled else { return false }
            let end = booking.invitee.start + .minutes(Int64(calendly.eventType(booking.eventType)?.durationMinutes ?? 30))
            return booking.invitee.start < to && end > from
        }.sorted { $0.invitee.start < $1.invitee.start }
        return .json(200, .object(["collection": .array(busy.map { booking in
            let end = booking.invitee.start + .minutes(Int64(calendly.eventType(booking.eventType)?.durationMinutes ?? 30))
            return .object([
                "type": .string("calendly"), "start_time": .time(booking.invitee.start), "end_time": .time(end),
                "buffered_start_time": .time(booking.invitee.start), "buffered_end_time": .time(end),
                "event": .object(["uri": .string(booking.invitee.eventURI.rawValue)]),
            ])
        })]))
    }

    func listAvailabilitySchedules(_ request: EmulatorRequest) -> EmulatorReply {
        let scopes = ["availability:read"]
        guard case .success = authenticate(request, needs: scopes) else { return authFailure(request, scopes) }
        guard let user = request.query["user"], !user.isEmpty else { return .invalid("user", "is required") }
        guard user == account.uri else { return .error(403, "Permission Denied", "This user is not in your organization") }
        return .json(200, .object(["collection": .array([availabilityScheduleJSON()])]))
    }

    func getAvailabilitySchedule(_ request: EmulatorRequest, uuid: String) -> EmulatorReply {
        let scopes = ["availability:read"]
        guard case .success = authenticate(request, needs: scopes) else { return authFailure(request, scopes) }
        guard uuid == "SCHEDULE" else { return .notFound }
        return .resource(availabilityScheduleJSON())
    }

    /// `POST /scheduling_links` {`max_event_count` (1), `owner` (event type URI), `owner_type` ("EventType")}
    /// → 201 {`booking_url`, `owner`, `owner_type`}.
    func createSchedulingLink(_ request: EmulatorRequest) -> EmulatorReply {
        let scopes = ["scheduling_links:write"]
        guard case .success = authenticate(request, needs: scopes) else { return authFailure(request, scopes) }
        guard let body = request.jsonObject else { return .invalid("body", "must be a JSON object") }
        var problems: [(String, String)] = []
        if JSONNumber.clamped(body["max_event_count"], to: 0...2) != 1 { problems.append(("max_event_count", "must be 1")) }
        if body["owner_type"] as? String != "EventType" { problems.append(("owner_type", "must be EventType")) }
        let owner = body["owner"] as? String ?? ""
        if owner.isEmpty { problems.append(("owner", "is required")) }
        guard problems.isEmpty else { return .invalid(problems) }
        guard let eventType = eventType(bySegment: lastSegment(owner)), eventType.uri.rawValue == owner else { return .notFound }
        schedulingLinks += 1
        return .resource(.object([
            "booking_url": .string("https://calendly.com/d/emu-\(schedulingLinks.padded(4))/\(meta[eventType.uri]?.slug ?? "meeting")"),
            "owner": .string(eventType.uri.rawValue), "owner_type": .string("EventType"),
        ]), status: 201)
    }
}
