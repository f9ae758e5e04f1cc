import Core
import Effects
import Foundation
import Synchronization
import Interpreters
import Logging

/// A Calendly-compatible world for development, demos and integration tests: the shared `SimCalendly`
/// model ("one model, two faces") plus what only the HTTP face needs — OAuth codes and tokens,
/// webhook subscriptions and signed deliveries, fault injection. Time is the wall clock (this *is*
/// the outside world), shifted by an offset tests can advance.
public actor EmulatorModel {
    /// A development signing key; fine to log that it is in use, it protects nothing real.
    public static let developmentSigningKey: [UInt8] = Array("calendly-emulator-development-signing-key".utf8)
    public static let clientID = "emulator-client-id"
    /// A development client secret (the emulator's only registered OAuth client).
    public static let clientSecret = "emulator-client-secret"
    public static let knownScopes = ["users:read", "organizations:read", "event_types:read", "event_types:write", "availability:read",
                                     "availability:write", "scheduled_events:read", "scheduled_events:write", "webhooks:read", "webhooks:write",
                                     "scheduling_links:write"]
    /// Solo event types seeded beyond the named ones (enough that a page of 10 is exceeded).
    public static let defaultExtraSolo = 6
    public static let authorizationCodeLifetime = Span.minutes(10)

    public nonisolated let seed: UInt64
    public nonisolated let faultProfile: FaultProfile
    public nonisolated let signingKey: [UInt8]
    nonisolated let deliveryClient: CurlHTTPClient = .shared
    /// Set by `shutdown`: deliveries make no further attempts.
    nonisolated let stopping = StopFlag()
    let logger: Logger

    public private(set) var baseURL: String
    var calendly: SimCalendly
    var account: EmulatorAccount
    var meta: [CalendlyURI: EventTypeMeta] = [:]
    var inviteeDetails: [CalendlyURI: InviteeDetails] = [:]
    /// Who canceled each canceled invitee, and why (Calendly's `Cancellation`); kept beside the shared
    /// model, which only knows *that* a booking was canceled.
    var cancellations: [CalendlyURI: CancellationRecord] = [:]
    /// False in non-admin mode (`emulate --non-admin`, `/_emulator/account`): the user is a plain member
    /// of the organization, so organization-scoped webhook subscriptions are refused with a 403.
    var organizationAdmin: Bool
    public nonisolated let defaultOrganizationAdmin: Bool
    var rateWindow = RateLimitWindow()
    var schedulingLinks = 0
    var codes: [String: CodeGrant] = [:]
    var accessTokens: [String: AccessGrant] = [:]
    var refreshTokens: [String: RefreshGrant] = [:]
    var grantFamilies = 0
    var subscriptions: [Subscription] = []
    var subscriptionCount = 0
    /// Calendly disables a subscription after 24 h of failed deliveries; the emulator after this many
    /// failed deliveries in a row (each already retried), so tests need not wait a day.
    public var failedDeliveriesBeforeDisable = 3
    var scriptedFaults: [EmulatorFault] = []
    /// Calendly's per-user `POST /invitees` cap, when switched on (`/_emulator/quota`); off by default.
    var bookingQuota: BookingQuota?
    var deliveries: [DeliveryRecord] = []
    var deliveryTasks: [Task<Void, Never>] = []
    var tokenRandom: SeededGenerator
    var faultRandom: SeededGenerator
    var tokenLifetime = Span.hours(2)
    var extraSolo: Int
    var clockOffset = Span(milliseconds: 0)
    var requestsServed = 0

    struct InviteeDetails: Sendable {
        var name: String
        var timezone: String
        var answers: [Answer]
        var firstName: String? = nil
        var lastName: String? = nil
        var textReminderNumber: String? = nil
        var eventGuests: [String] = []
        /// The location the booking chose (`POST /invitees` `location`), else the event type's default.
        var location: BookedLocation? = nil
        struct Answer: Sendable { var question: String; var answer: String; var position: Int }
    }

    struct BookedLocation: Sendable, Equatable {
        var kind: String
        var location: String?
    }

    /// Calendly's `Cancellation` object (canceled_by, reason, canceler_type host|invitee, created_at).
    struct CancellationRecord: Sendable {
        var canceledBy: String
        var reason: String?
        var cancelerType: String
        var createdAt: Instant
    }

    struct CodeGrant: Sendable {
        var clientID: String
        var redirectURI: String
        var challenge: String?
        var challengeMethod: String?
        var scopes: [String]
        var issuedAt: Instant
        var used: Bool
    }

    struct AccessGrant: Sendable {
        var family: Int
        var scopes: [String]
        var expiresAt: Instant
        var revoked: Bool
        var issuedAt: Instant? = nil
    }

    struct RefreshGrant: Sendable {
        var family: Int
        var scopes: [String]
        var clientID: String
        var used: Bool
        var revoked: Bool
    }

    struct Subscription: Sendable {
        var uuid: String
        var url: String
        var events: [String]
        var scope: String
        var organization: String
        var user: String?
        var signingKey: [UInt8]?
        var createdAt: Instant
        /// False once deliveries kept failing; a disabled subscription delivers nothing.
        var active = true
        var failedDeliveries = 0
        var retryStartedAt: Instant?
        var updatedAt: Instant?
    }

    struct DeliveryRecord: Sendable {
        var url: String
        var event: String
        var attempts: Int
        var status: Int?
        var error: String?
        var at: Instant
    }

    public init(baseURL: String = "http://127.0.0.1", seed: UInt64 = 1, faults: FaultProfile = .quiet,
                signingKey: [UInt8] = EmulatorModel.developmentSigningKey, extraSolo: Int = EmulatorModel.defaultExtraSolo,
                organizationAdmin: Bool = true, wallClock: (@Sendable () -> Instant)? = nil) {
        self.seed = seed
        self.wallClock = wallClock ?? { EmulatorTime.wallClock() }
        self.faultProfile = faults
        self.signingKey = signingKey
        self.baseURL = baseURL
        self.extraSolo = extraSolo
        self.organizationAdmin = organizationAdmin
        self.defaultOrganizationAdmin = organizationAdmin
        var logger = Logger(label: "calendly-emulator")
        logger.logLevel = .notice
        self.logger = logger
        tokenRandom = SeededGenerator(root: seed, stream: "emulator-tokens")
        faultRandom = SeededGenerator(root: seed, stream: "emulator-faults")
        let world = EmulatorModel.world(base: baseURL, extraSolo: extraSolo)
        calendly = world.calendly
        account = world.account
        meta = world.meta
    }

    static func world(base: String, extraSolo: Int) -> (calendly: SimCalendly, account: EmulatorAccount, meta: [CalendlyURI: EventTypeMeta]) {
        let account = EmulatorAccount.host(base: base)
        var calendly = SimCalendly(baseURL: base)
        var meta: [CalendlyURI: EventTypeMeta] = [:]
        for entry in EmulatorSeed.catalog(base: base, account: account, extraSolo: extraSolo) {
            calendly.addEventType(entry.eventType, schedule: entry.schedule)
            meta[entry.eventType.uri] = entry.meta
        }
        return (calendly, account, meta)
    }

    /// The real clock in `emulate`; tests pass one that moves on every reading, so an operation that reads
    /// the time twice (and stamps one moment with two values) shows up at once instead of 1 run in 20.
    let wallClock: @Sendable () -> Instant

    var now: Instant { wallClock() + clockOffset }

    // MARK: - Lifecycle and admin hooks

    /// Re-seeds the Calendly world (event types, bookings, subscriptions, faults, deliveries, the clock
    /// offset, the account's role). Issued tokens survive, so a connected client keeps working across a reset.
    public func reset(baseURL newBase: String? = nil, extraSolo newExtra: Int? = nil) {
        if let newBase { baseURL = newBase.hasSuffix("/") ? String(newBase.dropLast()) : newBase }
        if let newExtra { extraSolo = max(0, newExtra) }
        let world = EmulatorModel.world(base: baseURL, extraSolo: extraSolo)
        calendly = world.calendly
        account = world.account
        meta = world.meta
        inviteeDetails = [:]
        cancellations = [:]
        clockOffset = Span(milliseconds: 0)
        organizationAdmin = defaultOrganizationAdmin
        rateWindow = RateLimitWindow()
        subscriptions = []
        scriptedFaults = []
        deliveries = []
    }

    /// Stops webhook deliveries: no new attempt starts, and the ones in flight are cancelled (the curl
    /// client answers a cancelled call exactly once, even one racing its own completion).
    public func shutdown() async {
        stopping.stop()
        let running = deliveryTasks
        deliveryTasks = []
        for task in running { task.cancel() }
        for task in running { await task.value }
    }

    /// Every booking the world holds (for tests and the `/_emulator/state` hook).
    public var bookings: [SimCalendly.Booking] { calendly.bookings }
    public var eventTypes: [EventType] { calendly.eventTypes }
    public var hostUser: CalendlyUser {
        CalendlyUser(uri: CalendlyURI(account.uri), email: account.email, organization: CalendlyURI(account.organization), schedulingURL: account.schedulingURL)
    }

    /// Issues a token pair without the browser dance (tests and demos).
    public func issueTokens(scopes: [String] = EmulatorModel.knownScopes, clientID: String = EmulatorModel.clientID) -> (access: String, refresh: String) {
        let grant = mintTokens(scopes: scopes, clientID: clientID, family: nil)
        return (grant.access, grant.refresh)
    }

    /// For tests: how many failed deliveries in a row disable a subscription.
    public func setFailedDeliveriesBeforeDisable(_ count: Int) { failedDeliveriesBeforeDisable = max(1, count) }

    /// The subscriptions as (callback URL, state) — for tests.
    public var subscriptionStates: [(url: String, state: String)] { subscriptions.map { ($0.url, $0.active ? "active" : "disabled") } }

    /// Makes one access token (or all) expired, as if its two hours had passed.
    public func expireAccessTokens(_ token: String? = nil) {
        for key in accessTokens.keys where token == nil || key == token { accessTokens[key]?.expiresAt = now - .seconds(1) }
    }

    public func advanceClock(_ span: Span) { clockOffset = clockOffset + span }

    public func setTokenLifetime(_ span: Span) { tokenLifetime = span }

    /// Someone books `start` from Calendly's page (not via the API) — through a link carrying UTM
    /// parameters when `tracking` is given (then its webhook carries them too).
    @discardableResult
    public func takeSlot(eventType: CalendlyURI, start: Instant, email: String = "someone.else@example.com",
                         tracking: BookingTracking? = nil) -> Result<Invitee, CalendlyFailure> {
        let request = InviteeRequest(eventType: eventType, start: start, email: email, name: "Someone Else", timeZone: "UTC")
        let result = calendly.createInvitee(request, key: nil, now: now, viaAPI: false, tracking: tracking)
        if case .success(let invitee) = result {
            inviteeDetails[invitee.uri] = InviteeDetails(name: "Someone Else", timezone: "UTC", answers: [])
        }
        deliverWebhooks()
        return result
    }

    /// The invitee reschedules from Calendly's link: `invitee.canceled` (rescheduled) + `invitee.created`.
    public func rescheduleBooking(_ invitee: CalendlyURI, to start: Instant) -> Result<Invitee, CalendlyFailure> {
        let at = now
        let result = calendly.reschedule(invitee, to: start, now: at)
        if case .success(let moved) = result {
            if let old = inviteeDetails[invitee] { inviteeDetails[moved.uri] = old }
            // Calendly shows a reschedule as the invitee canceling the old booking.
            cancellations[invitee] = CancellationRecord(canceledBy: inviteeDetails[invitee]?.name ?? "Customer", reason: nil,
                                                        cancelerType: "invitee", createdAt: at)
        }
        deliverWebhooks()
        return result
    }

    /// The invitee cancels from Calendly's email link (`canceler_type: invitee`, no reason given).
    @discardableResult
    public func cancelBooking(_ invitee: CalendlyURI, reason: String? = nil) -> Bool {
        // One reading of the clock: the booking's canceledAt and the cancellation's created_at are the same moment.
        let at = now
        let canceled = calendly.cancel(invitee, now: at)
        if canceled {
            cancellations[invitee] = CancellationRecord(canceledBy: inviteeDetails[invitee]?.name ?? "Customer", reason: reason,
                                                        cancelerType: "invitee", createdAt: at)
        }
        deliverWebhooks()
        return canceled
    }

    /// Switches the account between organization admin and plain member (see `organizationAdmin`).
    public func setOrganizationAdmin(_ admin: Bool) { organizationAdmin = admin }

    public func inject(_ fault: EmulatorFault) { scriptedFaults.append(fault) }
    public func clearFaults() { scriptedFaults = [] }

    public var deliveryLog: [(url: String, event: String, status: Int?)] { deliveries.map { ($0.url, $0.event, $0.status) } }

    // MARK: - Tokens

    func mintTokens(scopes: [String], clientID: String, family: Int?) -> (access: String, refresh: String) {
        let familyID: Int
        if let family { familyID = family } else { grantFamilies += 1; familyID = grantFamilies }
        let access = "emu_at_" + randomToken()
        let refresh = "emu_rt_" + randomToken()
        let issuedAt = now
        accessTokens[access] = AccessGrant(family: familyID, scopes: scopes, expiresAt: issuedAt + tokenLifetime, revoked: false, issuedAt: issuedAt)
        refreshTokens[refresh] = RefreshGrant(family: familyID, scopes: scopes, clientID: clientID, used: false, revoked: false)
        return (access, refresh)
    }

    func randomToken() -> String {
        (0..<4).map { _ in
            let digits = String(tokenRandom.next(), radix: 16)
            return String(repeating: "0", count: 16 - digits.count) + digits
        }.joined()
    }

    func revokeFamily(_ family: Int) {
        for key in accessTokens.keys where accessTokens[key]?.family == family { accessTokens[key]?.revoked = true }
        for key in refreshTokens.keys where refreshTokens[key]?.family == family { refreshTokens[key]?.revoked = true }
    }

    /// The bearer token's grant, or Calendly's 401 / 403 "Insufficient scope".
    func authenticate(_ request: EmulatorRequest, needs required: [String]) -> Result<AccessGrant, EmulatorReply> {
        guard let header = request.header("authorization"), header.lowercased().hasPrefix("bearer ") else { return .failure(.unauthenticated) }
        let token = String(header.dropFirst(7)).trimmingCharacters(in: .whitespaces)
        guard let grant = accessTokens[token], !grant.revoked else { return .failure(.unauthenticated) }
        guard grant.expiresAt > now else { return .failure(.expired) }
        // Any one of `required` will do; a `:write` scope implies its `:read`.
        let granted = Set(grant.scopes)
        let satisfied = required.isEmpty || required.contains { scope in
            granted.contains(scope) || (scope.hasSuffix(":read") && granted.contains(String(scope.dropLast(5)) + ":write"))
        }
        guard satisfied else { return .failure(.insufficientScope(required)) }
        return .success(grant)
    }

    // MARK: - State for tests (`GET /_emulator/state`)

    func stateJSON() -> JSONValue {
        .object([
            "base_url": .string(baseURL),
            "bookings": .array(calendly.bookings.map { booking in
                .object([
                    "invitee": .string(booking.invitee.uri.rawValue), "event": .string(booking.invitee.eventURI.rawValue),
                    "event_type": .string(booking.eventType.rawValue), "email": .string(booking.invitee.email),
                    "start_time": .time(booking.invitee.start), "status": .string(booking.canceled ? "canceled" : "active"),
                    "via_api": .bool(booking.viaAPI), "created_at": .time(booking.createdAt),
                ])
            }),
            "webhook_subscriptions": .array(subscriptions.map { subscriptionJSON($0) }),
            "deliveries": .array(deliveries.map { record in
                .object(["url": .string(record.url), "event": .string(record.event), "attempts": .int(record.attempts),
                         "status": record.status.map(JSONValue.int) ?? .null, "error": .text(record.error), "at": .time(record.at)])
            }),
            "pending_faults": .int(scriptedFaults.reduce(0) { $0 + $1.count }),
            "fault_profile": .string(faultProfile.name),
            "tokens": .object(["access": .int(accessTokens.count), "refresh": .int(refreshTokens.count),
                                "revoked_access": .int(accessTokens.values.filter(\.revoked).count)]),
            "requests_served": .int(requestsServed),
            "organization_admin": .bool(organizationAdmin), "clock_offset_seconds": .int(Int(clockOffset.milliseconds / 1000)),
        ])
    }

    func noteRequest() { requestsServed += 1 }
}

/// A one-way switch shared with detached delivery tasks.
final class StopFlag: Sendable {
    private let stopped = Mutex(false)
    func stop() { stopped.withLock { $0 = true } }
    var isStopped: Bool { stopped.withLock { $0 } }
}
