import Core
import Effects
import Foundation

/// Calendly API v2 JSON, as it travels (calendly-api.md). Decoding is tolerant: unknown fields are
/// ignored, and everything the product does not strictly need is optional, so a new or missing field on
/// Calendly's side never breaks a call. What a missing field means is Core's to decide
/// (`EligibilityFacts`, `EventTypeDefaults`, `InviteeLookup`, `SlotAvailability`); what is left here is
/// plumbing (an absent URL is an empty one).
enum CalendlyWire {
    /// `{ "resource": { … } }`
    struct Resource<Item: Decodable>: Decodable { var resource: Item }

    /// `{ "collection": [ … ], "pagination": { … } }` (`pagination` absent on available times).
    struct Collection<Item: Decodable>: Decodable {
        var collection: [Item]
        var pagination: Pagination?
    }

    struct Pagination: Decodable {
        var count: Int?
        var nextPage: String?
        var nextPageToken: String?

        enum CodingKeys: String, CodingKey { case count, nextPage = "next_page", nextPageToken = "next_page_token" }

        init(from decoder: Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            count = c.lenient(Int.self, .count).value
            nextPage = c.lenient(String.self, .nextPage).value
            nextPageToken = c.lenient(String.self, .nextPageToken).value
        }
    }

    struct User: Decodable {
        var uri: String
        var email: String
        var schedulingURL: String?
        var currentOrganization: String?

        enum CodingKeys: String, CodingKey { case uri, email, schedulingURL = "scheduling_url", currentOrganization = "current_organization" }

        init(from decoder: Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            uri = try c.decode(String.self, forKey: .uri)
            email = try c.decode(String.self, forKey: .email)
            schedulingURL = c.lenient(String.self, .schedulingURL).value
            currentOrganization = c.lenient(String.self, .currentOrganization).value
        }

        var model: CalendlyUser {
            CalendlyUser(uri: CalendlyURI(uri), email: email, organization: CalendlyURI(currentOrganization ?? ""), schedulingURL: schedulingURL ?? "")
        }
    }

    /// A custom question as sent (`ReportedQuestion`): what each missing or unreadable field means is
    /// `EventTypeDefaults.question`'s.
    struct CustomQuestion: Decodable {
        var reported: ReportedQuestion

        enum CodingKeys: String, CodingKey {
            case name, type, position, enabled, required, answerChoices = "answer_choices", includeOther = "include_other"
        }

        init(from decoder: Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            // `answer_choices` is `[]` or null on questions without choices; a non-string choice is dropped, not fatal.
            reported = ReportedQuestion(name: try c.decode(String.self, forKey: .name), type: c.lenient(String.self, .type),
                                        position: c.lenient(Int.self, .position), enabled: c.lenient(Bool.self, .enabled),
                                        required: c.lenient(Bool.self, .required),
                                        answerChoices: c.lenient([LenientString].self, .answerChoices).value?.compactMap(\.text),
                                        includeOther: c.lenient(Bool.self, .includeOther))
        }
    }

    /// One array element that is used only when it is a string.
    struct LenientString: Decodable {
        var text: String?
        init(from decoder: Decoder) throws { text = try? decoder.singleValueContainer().decode(String.self) }
    }

    /// `locations[]` of an event type: `kind` (`physical`, `ask_invitee`, `outbound_call`, `zoom_conference`, …) and
    /// the host-set `location` where there is one — Calendly names it `phone_number` on `inbound_call` (the
    /// number the invitee dials). An entry without a readable `kind` is dropped.
    struct Location: Decodable {
        var kind: String?
        var location: String?

        enum CodingKeys: String, CodingKey { case kind, location, phoneNumber = "phone_number" }

        init(from decoder: Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            kind = c.lenient(String.self, .kind).value
            location = c.lenient(String.self, .location).value ?? c.lenient(String.self, .phoneNumber).value
        }
    }

    /// The fields that decide eligibility are read as Calendly sent them (`EligibilityFacts`: absent,
    /// unreadable, or the value, unknown strings kept); Core decides what each means. `locations` are read
    /// leniently: a new kind is kept as a string and only `outbound_call` / `ask_invitee` ask the invitee anything.
    struct EventType: Decodable {
        var uri: String
        var name: String?
        var duration: Int?
        var facts: EligibilityFacts
        var schedulingURL: String?
        var customQuestions: [CustomQuestion]?
        var locations: [Location]?

        enum CodingKeys: String, CodingKey {
            case uri, name, active, duration, kind, secret, locations
            case poolingType = "pooling_type", bookingMethod = "booking_method", isPaid = "is_paid"
            case schedulingURL = "scheduling_url", customQuestions = "custom_questions"
        }

        init(from decoder: Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            uri = try c.decode(String.self, forKey: .uri)
            name = c.lenient(String.self, .name).value
            duration = c.lenient(Int.self, .duration).value
            var unreadable: [EligibilityFacts.Field] = []
            func fact<T: Decodable>(_ type: T.Type, _ key: CodingKeys, _ field: EligibilityFacts.Field) -> T? {
                let read = c.lenient(type, key)
                if case .invalid = read { unreadable.append(field) }
                return read.value
            }
            let active = fact(Bool.self, .active, .active)
            let kind = fact(String.self, .kind, .kind)
            let pooling = fact(String.self, .poolingType, .poolingType)
            let secret = fact(Bool.self, .secret, .secret)
            let method = fact(String.self, .bookingMethod, .bookingMethod)
            let paid = fact(Bool.self, .isPaid, .isPaid)
            facts = EligibilityFacts(active: active, kind: kind, poolingType: pooling, secret: secret, bookingMethod: method, isPaid: paid,
                                     unreadable: unreadable)
            schedulingURL = c.lenient(String.self, .schedulingURL).value
            customQuestions = c.lenient([CustomQuestion].self, .customQuestions).value
            locations = c.lenient([Location].self, .locations).value
        }

        var model: Effects.EventType {
            let questions = EventTypeDefaults.questions((customQuestions ?? []).map(\.reported))
            let places = (locations ?? []).compactMap { place in place.kind.map { EventLocation(kind: $0, location: place.location) } }
            return Effects.EventType(uri: CalendlyURI(uri), name: name ?? "", durationMinutes: EventTypeDefaults.durationMinutes(duration), facts: facts,
                                     schedulingURL: schedulingURL ?? "", customQuestions: questions, locations: places)
        }
    }

    struct AvailableTime: Decodable {
        var status: String?
        var startTime: Instant

        enum CodingKeys: String, CodingKey { case status, startTime = "start_time" }

        init(from decoder: Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            status = c.lenient(String.self, .status).value
            startTime = try c.decode(Instant.self, forKey: .startTime)
        }
    }

    struct Invitee: Decodable {
        struct Tracking: Decodable {
            var utmSource: String?
            var utmContent: String?
            enum CodingKeys: String, CodingKey { case utmSource = "utm_source", utmContent = "utm_content" }
            init(from decoder: Decoder) throws {
                let c = try decoder.container(keyedBy: CodingKeys.self)
                utmSource = c.lenient(String.self, .utmSource).value
                utmContent = c.lenient(String.self, .utmContent).value
            }
        }

        struct Cancellation: Decodable {
            var createdAt: Instant?
            enum CodingKeys: String, CodingKey { case createdAt = "created_at" }
            init(from decoder: Decoder) throws {
                createdAt = try decoder.container(keyedBy: CodingKeys.self).lenient(Instant.self, .createdAt).value
            }
        }

        var uri: String
        var email: String
        var event: String
        var status: String?
        var cancelURL: String?
        var rescheduleURL: String?
        var rescheduled: Bool?
        var newInvitee: String?
        var oldInvitee: String?
        var tracking: Tracking?
        var createdAt: Instant?
        var updatedAt: Instant?
        var cancellation: Cancellation?

        enum CodingKeys: String, CodingKey {
            case uri, email, event, status, cancelURL = "cancel_url", rescheduleURL = "reschedule_url", rescheduled,
                 newInvitee = "new_invitee", oldInvitee = "old_invitee", tracking, createdAt = "created_at", updatedAt = "updated_at", cancellation
        }

        init(from decoder: Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            uri = try c.decode(String.self, forKey: .uri)
            email = try c.decode(String.self, forKey: .email)
            event = try c.decode(String.self, forKey: .event)
            status = c.lenient(String.self, .status).value
            cancelURL = c.lenient(String.self, .cancelURL).value
            rescheduleURL = c.lenient(String.self, .rescheduleURL).value
            rescheduled = c.lenient(Bool.self, .rescheduled).value
            newInvitee = c.lenient(String.self, .newInvitee).value
            oldInvitee = c.lenient(String.self, .oldInvitee).value
            tracking = c.lenient(Tracking.self, .tracking).value
            createdAt = c.lenient(Instant.self, .createdAt).value
            updatedAt = c.lenient(Instant.self, .updatedAt).value
            cancellation = c.lenient(Cancellation.self, .cancellation).value
        }

        func model(start: Instant) -> Effects.Invitee {
            Effects.Invitee(uri: CalendlyURI(uri), eventURI: CalendlyURI(event), email: email, start: start,
                            cancelURL: cancelURL ?? "", rescheduleURL: rescheduleURL ?? "")
        }

        /// A canceled invitee found by a lookup, with when it was canceled (`ListedInviteeTimes`).
        func canceledModel(start: Instant) -> Effects.Invitee {
            var invitee = model(start: start)
            invitee.canceledAt = ListedInviteeTimes.canceledAtForLookup(stated: canceledAt, start: start)
            return invitee
        }

        var canceledAt: Instant? { ListedInviteeTimes.stated(cancellation: cancellation?.createdAt, updatedAt: updatedAt) }

        /// This invitee as the webhooks about it said it (reconciliation): `invitee.created`, then
        /// `invitee.canceled` when it was canceled (at the cancellation's time).
        func notices(eventType: CalendlyURI, start: Instant) -> [InviteeNotice] {
            let created = ListedInviteeTimes.createdAt(stated: createdAt, start: start)
            return InviteeNotice.reconciled(model(start: start), eventType: eventType, createdAt: created,
                                     canceledAt: CalendlyStatus.isCanceled(status) ? ListedInviteeTimes.canceledAtForNotice(stated: canceledAt, createdAt: created) : nil,
                                     rescheduled: rescheduled ?? false, newInvitee: newInvitee.map(CalendlyURI.init(rawValue:)),
                                     oldInvitee: oldInvitee.map(CalendlyURI.init(rawValue:)),
                                     tracking: tracking.map { BookingTracking(utmSource: $0.utmSource, utmContent: $0.utmContent) })
        }
    }

    struct ScheduledEvent: Decodable {
        var uri: String
        var status: String?
        var startTime: Instant
        var eventType: String?

        enum CodingKeys: String, CodingKey { case uri, status, startTime = "start_time", eventType = "event_type" }

        init(from decoder: Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            uri = try c.decode(String.self, forKey: .uri)
            status = c.lenient(String.self, .status).value
            startTime = try c.decode(Instant.self, forKey: .startTime)
            eventType = c.lenient(String.self, .eventType).value
        }
    }

    /// The token endpoint's success body (`auth.calendly.com/oauth/token`).
    struct Token: Decodable {
        var accessToken: String
        var refreshToken: String?
        var tokenType: String?
        var scope: String?
        var expiresIn: Int?
        var owner: String?
        var organization: String?

        enum CodingKeys: String, CodingKey {
            case accessToken = "access_token", refreshToken = "refresh_token", tokenType = "token_type", scope
            case expiresIn = "expires_in", owner, organization
        }
    }

    /// `POST /invitees` (the Scheduling API).
    /// A webhook subscription resource; what its `state` means is `WebhookSubscriptionState`'s.
    struct WebhookSubscription: Decodable {
        var uri: String
        var callbackURL: String
        var state: String?
        var events: [String]?
        var scope: String?

        enum CodingKeys: String, CodingKey { case uri, callbackURL = "callback_url", state, events, scope }

        var model: Effects.WebhookSubscription {
            Effects.WebhookSubscription(uri: CalendlyURI(uri), callbackURL: callbackURL, active: WebhookSubscriptionState.isDelivering(state: state), events: events ?? [],
                                        scope: scope ?? "")
        }
    }

    /// `POST /webhook_subscriptions`, organization scope (no `signing_key`: for OAuth apps Calendly signs
    /// with the app's key).
    struct WebhookSubscriptionBody: Encodable {
        var url: String
        var events: [String]
        var organization: String
        var scope: String
        var user: String?

        init(url: String, events: [String], organization: String, user: String? = nil) {
            self.url = url; self.events = events; self.organization = organization
            self.scope = user == nil ? "organization" : "user"
            self.user = user
        }
    }

    struct InviteeBody: Encodable {
        struct Person: Encodable { var email: String; var name: String; var timezone: String }
        struct Answer: Encodable { var question: String; var answer: String; var position: Int }
        struct Location: Encodable { var kind: String; var location: String? }

        var eventType: String
        var startTime: String
        var invitee: Person
        var questionsAndAnswers: [Answer]?
        var location: Location?

        enum CodingKeys: String, CodingKey {
            case eventType = "event_type", startTime = "start_time", invitee, questionsAndAnswers = "questions_and_answers", location
        }

        init(_ request: InviteeRequest) {
            eventType = request.eventType.rawValue
            startTime = request.start.iso8601
            // Calendly requires `name` (or `first_name`); without one, the address's local part stands in.
            let fallback = request.email.split(separator: "@").first.map(String.init) ?? request.email
            let name = request.name.map { $0.trimmingCharacters(in: .whitespacesAndNewlines) } ?? ""
            invitee = Person(email: request.email, name: name.isEmpty ? fallback : name, timezone: request.timeZone)
            questionsAndAnswers = request.answers.isEmpty ? nil
                : request.answers.enumerated().map { Answer(question: $1.question, answer: $1.answer, position: $1.position ?? $0) }
            location = request.location.map { Location(kind: $0.kind, location: $0.location) }
        }
    }
}

// MARK: - Transport

/// A reply as it came off the wire (`CurlHTTPClient`), read the way the classifier needs it.
typealias WireResponse = HTTPResponse

extension HTTPResponse {
    var isJSON: Bool {
        guard let type = header("content-type") else { return false }
        let mime = (type.split(separator: ";").first.map(String.init) ?? "").trimmingCharacters(in: .whitespaces).lowercased()
        return mime == "application/json" || mime.hasSuffix("+json")
    }

    var retryAfterSeconds: Int? {
        CalendlyErrorClassifier.retryAfterSeconds(retryAfter: header("retry-after"), rateLimitReset: header("x-ratelimit-reset"))
    }
}
