import Core
import Effects
import Foundation
import Logging

/// Performs every `CalendlyCall` against Calendly's API v2 over HTTP (calendly-api.md).
///
/// It decides nothing: it performs exactly the call it is given, classifies what came back
/// (`CalendlyErrorClassifier`) and reports it. A 401 is reported as `.failed(.unauthorized)` — never
/// refreshed and retried here: when to refresh, and what a refused refresh means, is `Connection`'s to
/// decide (issue 11 defect 2). `.refreshToken` performs the refresh grant and saves the rotated pair in
/// the vault before reporting it (Calendly refresh tokens are single-use). What it does take care of is
/// the plumbing every call needs: one shared `CurlHTTPClient` (connection reuse, HTTP/2), the per-call
/// latency budget of PRD §6, one bounded wait on 429, response size and content-type limits, and the
/// distinction between "failed" and "may have happened" (`outcomeUnknown`) for calls that change
/// Calendly. Tokens never appear in errors or logs.
public final class LiveCalendly: CalendlyPerformer, Sendable {
    public struct Configuration: Sendable, CustomStringConvertible {
        public var apiBase: String
        public var authBase: String
        public var clientID: String
        /// nil for a public (native) client: then `client_id` goes in the token request body.
        public var clientSecret: String?
        public var redirectURI: String
        /// `count` of list requests (Calendly allows up to 100).
        public var pageSize = 100
        /// At most this many pages of event types are read; the rest is dropped with a warning.
        public var maxPages = 20
        public var maxBodyBytes = 2 * 1024 * 1024
        /// The latency budget per call; PRD §6 (`CalendlyCall.budget`) unless a test shortens it.
        public var budget: @Sendable (CalendlyCall) -> Span = { $0.budget }
        public var now: @Sendable () -> Instant = LiveCalendly.wallClock
        public var userAgent = "calendly-action/1 (+https://developer.calendly.com)"

        public init(clientID: String, clientSecret: String?, redirectURI: String,
                    apiBase: String = "https://api.calendly.com", authBase: String = "https://auth.calendly.com") {
            self.clientID = clientID; self.clientSecret = clientSecret; self.redirectURI = redirectURI
            self.apiBase = apiBase.hasSuffix("/") ? String(apiBase.dropLast()) : apiBase
            self.authBase = authBase.hasSuffix("/") ? String(authBase.dropLast()) : authBase
        }

        public var description: String {
            "LiveCalendly.Configuration(apiBase: \(apiBase), authBase: \(authBase), clientID: \(clientID), "
                + "clientSecret: \(clientSecret == nil ? "none" : "<redacted>"), redirectURI: \(redirectURI))"
        }
    }

    public let configuration: Configuration
    let tokens: any TokenKeeper
    let verifiers: any PKCEVerifiers
    let transport: CurlHTTPClient
    let logger: Logger

    public init(configuration: Configuration, tokens: any TokenKeeper, verifiers: any PKCEVerifiers,
                logger: Logger = Logger(label: "calendly-action.calendly"), http: CurlHTTPClient = .shared) {
        self.configuration = configuration; self.tokens = tokens; self.verifiers = verifiers; self.logger = logger
        transport = http
    }

    public static func wallClock() -> Instant {
        Instant(millisecondsSince1970: Int64((Date().timeIntervalSince1970 * 1000).rounded(.down)))
    }

    // MARK: - Perform

    public func perform(_ call: CalendlyCall) async -> CalendlyReply {
        let budget = configuration.budget(call)
        let deadline = ContinuousClock.now + .milliseconds(budget.milliseconds)
        let reply: CalendlyReply
        do {
            reply = try await run(call, Deadline(at: deadline, write: call.changesCalendly))
        } catch {
            reply = error.reply
        }
        switch reply {
        case .failed(let failure): logger.notice("calendly call failed", metadata: ["call": "\(call.name)", "reason": "\(failure.reason)"])
        case .outcomeUnknown: logger.warning("calendly call outcome unknown", metadata: ["call": "\(call.name)"])
        default: logger.debug("calendly call done", metadata: ["call": "\(call.name)"])
        }
        return reply
    }

    func run(_ call: CalendlyCall, _ deadline: Deadline) async throws(CallError) -> CalendlyReply {
        switch call {
        case .exchangeCode(let code, let state, let agent):
            return try await exchangeCode(code, state: state, agent: agent, deadline)
        case .refreshToken(let reference):
            return try await refresh(reference, deadline)
        case .revokeToken(let reference):
            return try await revoke(reference, deadline)
        case .currentUser(let reference):
            let response = try await api(.get, "/users/me", token: reference, deadline)
            return .user(try decode(CalendlyWire.Resource<CalendlyWire.User>.self, response).resource.model)
        case .listEventTypes(let reference, let user):
            return .eventTypes(try await listEventTypes(reference, user: user, deadline))
        case .getEventType(let reference, let uri):
            let uuid = try Self.lastSegment(of: uri)
            let response = try await api(.get, "/event_types/\(uuid)", token: reference, deadline)
            return .eventType(try decode(CalendlyWire.Resource<CalendlyWire.EventType>.self, response).resource.model)
        case .availableTimes(let reference, let eventType, let from, let to):
            let query = [("event_type", eventType.rawValue), ("start_time", from.iso8601), ("end_time", to.iso8601)]
            let response = try await api(.get, "/event_type_available_times", query: query, token: reference, deadline)
            let times = try decode(CalendlyWire.Collection<CalendlyWire.AvailableTime>.self, response).collection
            let slots = Set(times.filter { SlotAvailability.isOffered(status: $0.status) }.map { Slot(start: $0.startTime) })
            return .availableTimes(slots.sorted())
        case .createInvitee(let reference, _, let request):
            let body = try Self.json(CalendlyWire.InviteeBody(request))
            let response = try await api(.post, "/invitees", body: body, token: reference, deadline)
            return .inviteeCreated(try decode(CalendlyWire.Resource<CalendlyWire.Invitee>.self, response).resource.model(start: request.start))
        case .findInvitee(let reference, let eventType, let email, let start):
            return .inviteeFound(try await findInvitee(reference, eventType: eventType, email: email, start: start, deadline))
        case .listScheduledInvitees(let reference, let user, let from, let to, let eventTypes):
            return .scheduledInvitees(try await listScheduledInvitees(reference, user: user, from: from, to: to, eventTypes: eventTypes, deadline))
        case .createWebhookSubscription(let reference, let organization, let url, let events, let user):
            let body = try Self.json(CalendlyWire.WebhookSubscriptionBody(url: url, events: events, organization: organization.rawValue, user: user?.rawValue))
            let response = try await api(.post, "/webhook_subscriptions", body: body, token: reference, deadline)
            return .webhookSubscription(try decode(CalendlyWire.Resource<CalendlyWire.WebhookSubscription>.self, response).resource.model)
        case .listWebhookSubscriptions(let reference, let organization, let user):
            return .webhookSubscriptions(try await listWebhookSubscriptions(reference, organization: organization, user: user, deadline))
        case .deleteWebhookSubscription(let reference, let uri):
            let uuid = try Self.lastSegment(of: uri)
            _ = try await api(.delete, "/webhook_subscriptions/\(uuid)", token: reference, deadline, expectJSON: false)
            return .webhookSubscriptionDeleted
        }
    }

    // MARK: - Reads

    func listEventTypes(_ reference: TokenReference, user: CalendlyURI, _ deadline: Deadline) async throws(CallError) -> [EventType] {
        var items: [EventType] = []
        var pageToken: String?
        for _ in 0..<max(1, configuration.maxPages) {
            var query = [("user", user.rawValue), ("count", String(configuration.pageSize))]
            if let pageToken { query.append(("page_token", pageToken)) }
            let response = try await api(.get, "/event_types", query: query, token: reference, deadline)
            let page = try decode(CalendlyWire.Collection<CalendlyWire.EventType>.self, response)
            items += page.collection.map(\.model)
            let next = page.pagination?.nextPageToken ?? page.pagination?.nextPage.flatMap(Self.pageToken(in:))
            guard let next, !next.isEmpty, next != pageToken else { return items }
            pageToken = next
        }
        logger.warning("event type listing stopped at the page cap", metadata: ["pages": "\(configuration.maxPages)"])
        return items
    }

    /// Every organization-scoped subscription (or, with `user`, that user's), page by page (up to `maxPages`).
    func listWebhookSubscriptions(_ reference: TokenReference, organization: CalendlyURI, user: CalendlyURI? = nil,
                                  _ deadline: Deadline) async throws(CallError) -> [WebhookSubscription] {
        var items: [WebhookSubscription] = []
        var pageToken: String?
        for _ in 0..<max(1, configuration.maxPages) {
            var query = [("organization", organization.rawValue), ("scope", user == nil ? "organization" : "user"), ("count", String(configuration.pageSize))]
            if let user { query.append(("user", user.rawValue)) }
            if let pageToken { query.append(("page_token", pageToken)) }
            let response = try await api(.get, "/webhook_subscriptions", query: query, token: reference, deadline)
            let page = try decode(CalendlyWire.Collection<CalendlyWire.WebhookSubscription>.self, response)
            items += page.collection.map(\.model)
            let next = page.pagination?.nextPageToken ?? page.pagination?.nextPage.flatMap(Self.pageToken(in:))
            guard let next, !next.isEmpty, next != pageToken else { return items }
            pageToken = next
        }
        return items
    }

    /// Reconciliation: every scheduled event of `user` starting in [from, to) — active and canceled —
    /// and every invitee of each, page by page (up to `maxPages` per listing), as the notices their
    /// webhooks carried. An invitee rescheduled out of the window is followed to its `new_invitee`, so a
    /// reschedule seen only here is complete (new time and URIs).
    func listScheduledInvitees(_ reference: TokenReference, user: CalendlyURI, from: Instant, to: Instant, eventTypes: [CalendlyURI]? = nil,
                               _ deadline: Deadline) async throws(CallError) -> [InviteeNotice] {
        var notices: [InviteeNotice] = []
        var eventsToken: String?
        for _ in 0..<max(1, configuration.maxPages) {
            var query = [("user", user.rawValue), ("min_start_time", from.iso8601), ("max_start_time", to.iso8601), ("count", String(configuration.pageSize))]
            if let eventsToken { query.append(("page_token", eventsToken)) }
            let response = try await api(.get, "/scheduled_events", query: query, token: reference, deadline)
            let page = try decode(CalendlyWire.Collection<CalendlyWire.ScheduledEvent>.self, response)
            // Each event's invitees cost a request: only the event types the run is about.
            for event in page.collection where ReconciliationScope.includes(eventType: event.eventType.map(CalendlyURI.init(rawValue:)), among: eventTypes) {
                let uuid = try Self.lastSegment(of: CalendlyURI(event.uri))
                let eventType = CalendlyURI(event.eventType ?? "")
                var inviteesToken: String?
                for _ in 0..<max(1, configuration.maxPages) {
                    var inviteeQuery = [("count", String(configuration.pageSize))]
                    if let inviteesToken { inviteeQuery.append(("page_token", inviteesToken)) }
                    let invitees = try await api(.get, "/scheduled_events/\(uuid)/invitees", query: inviteeQuery, token: reference, deadline)
                    let list = try decode(CalendlyWire.Collection<CalendlyWire.Invitee>.self, invitees)
                    notices += list.collection.flatMap { $0.notices(eventType: eventType, start: event.startTime) }
                    let next = list.pagination?.nextPageToken ?? list.pagination?.nextPage.flatMap(Self.pageToken(in:))
                    guard let next, !next.isEmpty, next != inviteesToken else { break }
                    inviteesToken = next
                }
            }
            let next = page.pagination?.nextPageToken ?? page.pagination?.nextPage.flatMap(Self.pageToken(in:))
            guard let next, !next.isEmpty, next != eventsToken else { return try await followingReschedules(notices, reference, deadline) }
            eventsToken = next
        }
        logger.warning("scheduled event listing stopped at the page cap", metadata: ["pages": "\(configuration.maxPages)"])
        return try await followingReschedules(notices, reference, deadline)
    }

    /// Adds the invitees that listed ones were rescheduled to outside the window (`GET` the invitee and
    /// its event), chain by chain, up to `maxPages` look-ups.
    func followingReschedules(_ listed: [InviteeNotice], _ reference: TokenReference, _ deadline: Deadline) async throws(CallError) -> [InviteeNotice] {
        var notices = listed
        var seen = Set(listed.map(\.invitee))
        var index = 0
        var lookups = 0
        while index < notices.count, lookups < max(1, configuration.maxPages) {
            defer { index += 1 }
            guard let moved = notices[index].newInvitee, !seen.contains(moved) else { continue }
            seen.insert(moved)
            lookups += 1
            let segments = moved.rawValue.split(separator: "/").map(String.init)
            guard let at = segments.lastIndex(of: "scheduled_events"), at + 3 < segments.count, segments[at + 2] == "invitees" else { continue }
            let eventID = try Self.lastSegment(of: CalendlyURI(segments[at + 1]))
            let inviteeID = try Self.lastSegment(of: CalendlyURI(segments[at + 3]))
            do throws(CallError) {
                let event = try decode(CalendlyWire.Resource<CalendlyWire.ScheduledEvent>.self,
                                       try await api(.get, "/scheduled_events/\(eventID)", token: reference, deadline)).resource
                let invitee = try decode(CalendlyWire.Resource<CalendlyWire.Invitee>.self,
                                         try await api(.get, "/scheduled_events/\(eventID)/invitees/\(inviteeID)", token: reference, deadline)).resource
                notices += invitee.notices(eventType: CalendlyURI(event.eventType ?? ""), start: event.startTime)
            } catch {
                // Gone (or not this user's to read): the window's own notices still stand.
                guard case .failed(.notFound) = error else { throw error }
            }
        }
        return notices
    }

    /// Reconciliation after a lost booking reply: the user's events around `start` with this invitee, then
    /// those events' invitees. Canceled ones are asked for too: a booking the customer canceled (from
    /// Calendly's email) before the lookup must not read as "never booked", or the caller would book again.
    /// Which events and invitees count, and in which order they are read, is `InviteeLookup`'s; which one
    /// is the answer `InviteeSelection`'s. Calendly's min/max bounds are "after"/"prior to", so the window
    /// is widened by a minute each side.
    func findInvitee(_ reference: TokenReference, eventType: CalendlyURI, email: String, start: Instant,
                     _ deadline: Deadline) async throws(CallError) -> Invitee? {
        let owner = try await heldTokens(reference).owner
        let query = [("user", owner.rawValue), ("invitee_email", email), ("min_start_time", (start - .minutes(1)).iso8601),
                     ("max_start_time", (start + .minutes(1)).iso8601), ("count", String(configuration.pageSize))]
        let response = try await api(.get, "/scheduled_events", query: query, token: reference, deadline)
        let events = try decode(CalendlyWire.Collection<CalendlyWire.ScheduledEvent>.self, response).collection
            .filter { InviteeLookup.isCandidate(eventStart: $0.startTime, eventType: $0.eventType.map(CalendlyURI.init(rawValue:)), start: start, booked: eventType) }
        var candidates: [Invitee] = []
        for event in InviteeLookup.readingOrder(events, status: \.status) {
            let uuid = try Self.lastSegment(of: CalendlyURI(event.uri))
            let invitees = try await api(.get, "/scheduled_events/\(uuid)/invitees",
                                         query: [("email", email), ("count", String(configuration.pageSize))], token: reference, deadline)
            let list = try decode(CalendlyWire.Collection<CalendlyWire.Invitee>.self, invitees).collection
                .filter { InviteeLookup.isSameInvitee(listedEmail: $0.email, lookedUp: email) }
            candidates += list.map { InviteeLookup.isActive(status: $0.status) ? $0.model(start: start) : $0.canceledModel(start: start) }
            if candidates.contains(where: InviteeSelection.isActive) { break }
        }
        return InviteeSelection.select(candidates)
    }
}

// MARK: - Requests

extension LiveCalendly {
    enum Method: String { case get = "GET", post = "POST", delete = "DELETE" }

    func heldTokens(_ reference: TokenReference) async throws(CallError) -> CalendlyTokens {
        let loaded: CalendlyTokens?
        do { loaded = try await tokens.load(reference) } catch { throw .failed(.unreachable) }
        guard let loaded else { throw .failed(.unauthorized) }
        return loaded
    }

    /// One API request with the connection's bearer token. A 401 is the call's answer (`unauthorized`:
    /// the connection decides whether to refresh); a 429 waits once when Calendly's wait fits the budget.
    func api(_ method: Method, _ path: String, query: [(String, String)] = [], body: [UInt8]? = nil,
             token reference: TokenReference, _ deadline: Deadline, expectJSON: Bool = true) async throws(CallError) -> WireResponse {
        let access = try await heldTokens(reference).accessToken
        let url = try url(configuration.apiBase, path, query)
        var waited = false
        while true {
            var request = HTTPRequest(method.rawValue, url, headers: [
                ("Authorization", "Bearer \(access)"), ("Accept", "application/json"), ("User-Agent", configuration.userAgent),
            ])
            if let body {
                request.body = body
                request.headers.append(("Content-Type", "application/json"))
            }
            let response = try await send(request, deadline)
            switch response.status {
            case 200..<300:
                // A DELETE answers 204 with no body at all.
                guard !expectJSON || response.isJSON else { throw .failed(.malformedResponse) }
                return response
            case 429 where !waited:
                waited = true
                try await waitOut(response, deadline)
            default:
                throw .failed(classify(response))
            }
        }
    }

    /// One 429 is waited out when its Retry-After fits in the budget; otherwise it is the call's failure.
    func waitOut(_ response: WireResponse, _ deadline: Deadline) async throws(CallError) {
        guard let wait = response.retryAfterSeconds, deadline.allows(wait: .seconds(wait)) else { throw .failed(classify(response)) }
        try? await Task.sleep(for: .seconds(wait))
    }

    /// Sends within what is left of the budget. Nothing sent → unreachable; sent but no reply → for a
    /// call that changes Calendly the outcome is unknown, for a read it is just unreachable.
    func send(_ request: HTTPRequest, _ deadline: Deadline) async throws(CallError) -> WireResponse {
        let remaining = deadline.remaining
        guard remaining > .milliseconds(5) else { throw .failed(.unreachable) }
        var request = request
        request.timeout = remaining
        request.maxBodyBytes = configuration.maxBodyBytes
        switch await transport.send(request) {
        case .success(let response): return response
        case .failure(.notSent): throw .failed(.unreachable)
        case .failure(.oversized): throw .failed(.malformedResponse)
        case .failure(.lost), .failure(.timedOut): throw deadline.write ? .unknown : .failed(.unreachable)
        }
    }

    func classify(_ response: WireResponse) -> CalendlyFailure {
        CalendlyErrorClassifier.classify(status: response.status, body: response.body, retryAfterSeconds: response.retryAfterSeconds)
    }

    func decode<T: Decodable>(_ type: T.Type, _ response: WireResponse) throws(CallError) -> T {
        do { return try JSONDecoder().decode(T.self, from: Data(response.body)) } catch { throw .failed(.malformedResponse) }
    }

    static func json<T: Encodable>(_ value: T) throws(CallError) -> [UInt8] {
        do { return Array(try JSONEncoder().encode(value)) } catch { throw .failed(.rejected(message: "the request could not be encoded")) }
    }

    func url(_ base: String, _ path: String, _ query: [(String, String)]) throws(CallError) -> String {
        let text = base + path + (query.isEmpty ? "" : "?" + FormEncoding.encode(query))
        guard let url = URL(string: text) else { throw .failed(.unreachable) }
        return url.absoluteString
    }

    /// The id at the end of a Calendly resource URI. Requests are always built on the configured API
    /// base — never sent to a host taken from a URI — so a bearer token cannot leak elsewhere.
    static func lastSegment(of uri: CalendlyURI) throws(CallError) -> String {
        let path = uri.rawValue.split(separator: "?").first.map(String.init) ?? ""
        guard let last = path.split(separator: "/").last, (1...128).contains(last.count),
              last.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_") }) else { throw .failed(.notFound) }
        return String(last)
    }

    static func pageToken(in nextPage: String) -> String? {
        URLComponents(string: nextPage)?.queryItems?.first { $0.name == "page_token" }?.value
    }
}

/// When a call must be over by, and whether losing its reply leaves Calendly's state unknown.
struct Deadline: Sendable {
    var at: ContinuousClock.Instant
    var write: Bool
    var remaining: Duration { at - ContinuousClock.now }
    /// True when waiting `wait` still leaves a little time for the retry itself.
    func allows(wait: Duration) -> Bool { ContinuousClock.now + wait + .milliseconds(100) < at }
}

enum CallError: Error, Sendable {
    case failed(CalendlyFailure)
    /// The request may have changed Calendly; no reply came.
    case unknown

    var reply: CalendlyReply {
        switch self {
        case .failed(let failure): return .failed(failure)
        case .unknown: return .outcomeUnknown
        }
    }
}
