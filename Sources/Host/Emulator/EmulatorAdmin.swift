import Core
import Effects
import Foundation
import Interpreters

/// Test and demo hooks under `/_emulator/` (never faulted, no auth: the emulator binds to loopback).
extension EmulatorModel {
    func adminState() -> EmulatorReply { .json(200, stateJSON()) }

    static let tenYears: Int64 = 10 * 366 * 86_400

    /// `{"solo_event_types": N?}` — re-seed the world (tokens survive; the clock offset does not).
    func adminReset(_ request: EmulatorRequest) -> EmulatorReply {
        let body = request.jsonObject ?? [:]
        reset(extraSolo: JSONNumber.clamped(body["solo_event_types"], to: 0...500).map { Int($0) })
        return .json(200, stateJSON())
    }

    /// `{"scopes": [...]?, "expires_in": seconds?}` — a token pair without the browser dance.
    func adminIssueTokens(_ request: EmulatorRequest) -> EmulatorReply {
        let body = request.jsonObject ?? [:]
        if let seconds = JSONNumber.clamped(body["expires_in"], to: -Self.tenYears...Self.tenYears) { tokenLifetime = .seconds(seconds) }
        let scopes = body["scopes"] as? [String] ?? EmulatorModel.knownScopes
        let pair = mintTokens(scopes: scopes, clientID: EmulatorModel.clientID, family: nil)
        return tokenReply(pair, scopes: scopes)
    }

    /// `{"access_token": T?}` — expire one access token, or all.
    func adminExpireTokens(_ request: EmulatorRequest) -> EmulatorReply {
        expireAccessTokens(request.jsonObject?["access_token"] as? String)
        return .noContent
    }

    /// `{"access_token": T?}` — the user revokes the app's access in Calendly: the grant of one access
    /// token, or every grant, ends. Afterwards its API calls get 401 and its refresh token `invalid_grant`.
    func adminRevokeGrants(_ request: EmulatorRequest) -> EmulatorReply {
        revokeGrants(ofAccessToken: request.jsonObject?["access_token"] as? String)
        return .noContent
    }

    /// `{"expires_in": seconds}` — the lifetime of tokens issued from now on (code exchanges and refreshes),
    /// e.g. a few minutes so a client's refresh-ahead is due at once. Calendly's is two hours.
    func adminTokenLifetime(_ request: EmulatorRequest) -> EmulatorReply {
        guard let seconds = JSONNumber.clamped(request.jsonObject?["expires_in"], to: -Self.tenYears...Self.tenYears) else {
            return .invalid("expires_in", "must be a number of seconds")
        }
        tokenLifetime = .seconds(seconds)
        return .json(200, .object(["expires_in": .int(Int(seconds))]))
    }

    /// `{"advance_seconds": N}` — move the emulator's clock forward.
    func adminClock(_ request: EmulatorRequest) -> EmulatorReply {
        let seconds = JSONNumber.clamped(request.jsonObject?["advance_seconds"], to: -Self.tenYears...Self.tenYears) ?? 0
        // The offset itself stays within a century, however often it is pushed.
        let limit = Self.tenYears * 10 * 1000
        clockOffset = Span(milliseconds: min(limit, max(-limit, clockOffset.milliseconds + seconds * 1000)))
        return .json(200, .object(["now": .time(now)]))
    }

    /// `{"event_type": URI, "start_time": ISO, "email": E?, "utm_source": S?, "utm_content": C?}` — someone
    /// books the slot from Calendly's page; with UTM parameters, as if through an attributed link.
    func adminTakeSlot(_ request: EmulatorRequest) -> EmulatorReply {
        let body = request.jsonObject ?? [:]
        guard let uri = body["event_type"] as? String, let eventType = eventType(bySegment: lastSegment(uri)) else { return .notFound }
        guard let start = (body["start_time"] as? String).flatMap(Instant.init(iso8601:)) else { return .invalid("start_time", "is required") }
        let source = body["utm_source"] as? String, content = body["utm_content"] as? String
        let tracking = source == nil && content == nil ? nil : BookingTracking(utmSource: source, utmContent: content)
        switch takeSlot(eventType: eventType.uri, start: start, email: body["email"] as? String ?? "someone.else@example.com", tracking: tracking) {
        case .success(let invitee):
            guard let booking = calendly.bookings.last(where: { $0.invitee.uri == invitee.uri }) else { return .notFound }
            return .resource(inviteeJSON(booking), status: 201)
        case .failure(.slotUnavailable): return .error(409, "Already Exists", "That time is already booked")
        case .failure(let failure): return .invalid("start_time", failure.reasonText)
        }
    }

    /// `{"invitee": URI, "start_time": ISO}` — the invitee reschedules from Calendly's link (sends
    /// `invitee.canceled` with `rescheduled: true` and `invitee.created` with `old_invitee`).
    func adminReschedule(_ request: EmulatorRequest) -> EmulatorReply {
        let body = request.jsonObject ?? [:]
        guard let uri = body["invitee"] as? String else { return .invalid("invitee", "is required") }
        guard let start = (body["start_time"] as? String).flatMap(Instant.init(iso8601:)) else { return .invalid("start_time", "is required") }
        switch rescheduleBooking(CalendlyURI(uri), to: start) {
        case .success(let moved):
            guard let booking = calendly.booking(of: moved.uri) else { return .notFound }
            return .resource(inviteeJSON(booking), status: 201)
        case .failure(.notFound): return .notFound
        case .failure(.slotUnavailable): return .error(409, "Already Exists", "That time is not available")
        case .failure(let failure): return .invalid("start_time", failure.reasonText)
        }
    }

    /// `{"tier": "trial" | "standard" | "enterprise" | null}` — enforce Calendly's per-user booking cap
    /// on `POST /invitees` (429 with `X-RateLimit-*` once reached); null switches it off (the default).
    func adminQuota(_ request: EmulatorRequest) -> EmulatorReply {
        let body = request.jsonObject ?? [:]
        guard let name = body["tier"] as? String else {
            bookingQuota = nil
            return .json(200, .object(["tier": .null]))
        }
        guard let tier = BookingQuota.Tier(rawValue: name) else { return .invalid("tier", "must be trial, standard, enterprise or null") }
        bookingQuota = BookingQuota(tier: tier)
        return .json(200, .object(["tier": .string(tier.rawValue)]))
    }

    /// `{"invitee": URI}` — the invitee cancels from Calendly's link (sends `invitee.canceled`).
    func adminCancel(_ request: EmulatorRequest) -> EmulatorReply {
        guard let uri = request.jsonObject?["invitee"] as? String else { return .invalid("invitee", "is required") }
        return cancelBooking(CalendlyURI(uri)) ? .noContent : .notFound
    }

    /// `EmulatorFault` as JSON (`path`, `method`, `count`, `status`, `delay_ms`, `after_commit`,
    /// `close`, `body`, `content_type`, `huge_bytes`, `retry_after`, `rate_limit_reset`).
    func adminInjectFault(_ request: EmulatorRequest) -> EmulatorReply {
        guard let object = request.jsonObject, let fault = EmulatorFault(json: object) else { return .invalid("path", "is required") }
        inject(fault)
        return .json(201, .object(["pending_faults": .int(scriptedFaults.reduce(0) { $0 + $1.count })]))
    }

    /// `{"organization_admin": false}` — the account becomes a plain member of its organization (Calendly
    /// then refuses organization-scoped webhook subscriptions with a 403); `true` makes it an owner again.
    func adminAccount(_ request: EmulatorRequest) -> EmulatorReply {
        guard let admin = request.jsonObject?["organization_admin"] as? Bool else { return .invalid("organization_admin", "must be true or false") }
        organizationAdmin = admin
        return .json(200, .object(["organization_admin": .bool(organizationAdmin), "role": .string(admin ? "owner" : "user")]))
    }

    func adminClearFaults() -> EmulatorReply {
        clearFaults()
        return .noContent
    }
}
