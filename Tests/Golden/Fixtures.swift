@testable import Core
import Effects
import Foundation

/// Shared test data. Every value is fixed; every time is derived from `VirtualClock.base`.
enum Fixtures {
    static let agent: AgentID = "agent-1"
    static let account: AccountID = "acct-1"
    static let adminEmail = "ops@acme.example"
    static let user: CalendlyURI = "https://api.calendly.com/users/U-ACME"
    static let organization: CalendlyURI = "https://api.calendly.com/organizations/ORG-ACME"
    static let token: TokenReference = "tokref-agent-1-a"
    static let customerZone = "Asia/Jakarta"

    // MARK: Principals

    static func principal(_ role: Role, features: [String] = [Access.feature], addons: [String] = [Access.addon],
                          flags: [String] = [Access.flag]) -> Principal {
        Principal(subject: "\(role.rawValue)-1", account: account, role: role, features: features, addons: addons, flags: flags)
    }

    // MARK: Event types

    static func eventTypeURI(_ id: String) -> CalendlyURI { CalendlyURI("https://api.calendly.com/event_types/\(id)") }

    static let intro = EventType(
        uri: eventTypeURI("ET-INTRO"), name: "Intro call", durationMinutes: 30, schedulingURL: "https://calendly.com/acme/intro",
        customQuestions: [
            CustomQuestion(name: "Company", position: 0, required: true),
            CustomQuestion(name: "What would you like to discuss?", type: "text", position: 1),
            CustomQuestion(name: "Old question", position: 2, enabled: false),
        ])
    static let demo = EventType(uri: eventTypeURI("ET-DEMO"), name: "Product demo", durationMinutes: 45, schedulingURL: "https://calendly.com/acme/demo")
    static let inactive = EventType(uri: eventTypeURI("ET-OLD"), name: "Legacy consult", active: false, schedulingURL: "https://calendly.com/acme/legacy")
    static let group = EventType(uri: eventTypeURI("ET-GROUP"), name: "Group webinar", kind: .group, schedulingURL: "https://calendly.com/acme/webinar")
    static let roundRobin = EventType(uri: eventTypeURI("ET-RR"), name: "Sales round robin", poolingType: .roundRobin,
                                      schedulingURL: "https://calendly.com/team/acme-sales")
    static let collective = EventType(uri: eventTypeURI("ET-COLL"), name: "Founders panel", poolingType: .collective,
                                      schedulingURL: "https://calendly.com/team/founders")
    static let multiPool = EventType(uri: eventTypeURI("ET-MP"), name: "Multi pool intake", poolingType: .multiPool,
                                     schedulingURL: "https://calendly.com/team/intake")
    static let paid = EventType(uri: eventTypeURI("ET-PAID"), name: "Paid strategy session", durationMinutes: 60, isPaid: true,
                                schedulingURL: "https://calendly.com/acme/strategy")
    static let poll = EventType(uri: eventTypeURI("ET-POLL"), name: "Meeting poll", bookingMethod: .poll, schedulingURL: "https://calendly.com/acme/poll")
    static let secret = EventType(uri: eventTypeURI("ET-SECRET"), name: "Bot-only call", secret: true, schedulingURL: "https://calendly.com/acme/bot")

    /// Everything a realistic account returns from `GET /event_types`, in Calendly's (unsorted) order.
    static let mixedAccount: [EventType] = [demo, inactive, group, roundRobin, intro, collective, multiPool, paid, poll, secret]

    // MARK: Connection and config, reached by running the reducers (not by building state by hand)

    static func grant(scopes: [String] = Connection.requiredScopes, token: TokenReference = token) -> TokenGrant {
        TokenGrant(token: token, owner: user, organization: organization, scopes: scopes, expiresAt: VirtualClock.base + .hours(2))
    }

    static let calendlyUser = CalendlyUser(uri: user, email: adminEmail, organization: organization, schedulingURL: "https://calendly.com/acme")

    /// Where the host says Calendly should deliver webhooks.
    static let webhookURL = "https://qontak.example/v1/webhooks/calendly"
    static let subscriptionURI: CalendlyURI = "https://api.calendly.com/webhook_subscriptions/WH-SETUP"
    static let setupSubscription = WebhookSubscription(uri: subscriptionURI, callbackURL: webhookURL, active: true,
                                                       events: WebhookSubscriptionCare.events, scope: "organization")

    /// A connection driven through connect → consent → exchange → user (→ webhook subscription created).
    static func connected(scopes: [String] = Connection.requiredScopes, subscribed: Bool = true, at now: Instant = VirtualClock.base) -> Connection {
        var connection = Connection(agent: agent)
        _ = Connection.reduce(&connection, .connectRequested("oauth-state-setup", webhookURL: webhookURL, at: now))
        let exchange = Connection.reduce(&connection, .authorizationGranted("oauth-state-setup", code: "code-setup", at: now))
        _ = Connection.reduce(&connection, .calendlyReplied(requestID(exchange)!, .tokenGranted(grant(scopes: scopes)), at: now))
        guard case .loadingUser(_, let request) = connection.phase else { return connection }
        let done = Connection.reduce(&connection, .calendlyReplied(request, .user(calendlyUser), at: now))
        guard let subscribe = requestID(done) else { return connection }
        let reply: CalendlyReply = subscribed ? .webhookSubscription(setupSubscription) : .failed(.serverError(status: 503))
        _ = Connection.reduce(&connection, .calendlyReplied(subscribe, reply, at: now))
        return connection
    }

    static func configAccount(_ connection: Connection) -> ActionConfig.Account? {
        connection.account.map { ActionConfig.Account(token: $0.token, user: $0.user, planInsufficient: $0.planInsufficient) }
    }

    static let fullDraft = ActionDraft(
        eventType: intro.uri, nameField: "contact.name", emailField: "contact.email",
        questionMappings: [QuestionMapping(question: "Company", field: "contact.company")],
        trigger: "Customer asks to book a call or a demo", confirmationMessage: "Thanks! See you soon.")

    /// A config with `draft` saved for `eventType` (open → list → save → re-read).
    static func saved(_ draft: ActionDraft = fullDraft, eventType: EventType = intro, at now: Instant = VirtualClock.base) -> ActionConfig {
        var config = ActionConfig(agent: agent)
        let account = configAccount(connected())
        let open = ActionConfig.reduce(&config, .opened(account, at: now))
        _ = ActionConfig.reduce(&config, .calendlyReplied(requestID(open)!, .eventTypes(mixedAccount), at: now))
        let save = ActionConfig.reduce(&config, .saveRequested(draft, account, at: now))
        _ = ActionConfig.reduce(&config, .calendlyReplied(requestID(save)!, .eventType(eventType), at: now))
        return config
    }

    static let contact: [String: String] = ["contact.name": "Jane Doe", "contact.email": "Jane.Doe@Example.com", "contact.company": "Acme Clinic"]

    /// The setup a trigger carries, resolved the way the runtime resolves it.
    static func setup(knownEmail: Bool = true) -> BookingSetup {
        var fields = contact
        if !knownEmail { fields["contact.email"] = nil }
        guard case .ready(let setup) = BookingSetup.resolve(entitlements: .all, connection: connected(), config: saved(), contactFields: fields) else {
            fatalError("fixture setup is not ready")
        }
        return setup
    }

    static func trigger(_ setup: BookingSetup, channel: Channel, zone: String = customerZone) -> BookingConversation.Trigger {
        BookingConversation.Trigger(setup: .ready(setup), channel: channel, timeZone: zone, attribution: attribution)
    }

    /// The opaque conversation reference the host would compute (a keyed hash); fixed here.
    static let attribution: ConversationReference = "5c0ffee05c0ffee05c0ffee0"
    /// The intro type's static link as every fallback hands it out.
    static let fallbackLink = "https://calendly.com/acme/intro?utm_source=calendly-action&utm_content=5c0ffee05c0ffee05c0ffee0"

    // MARK: Slots and invitees

    /// Thursday 26 Nov 2026 from 09:00 Jakarta time (02:00Z), every 30 minutes.
    static let firstSlot = Instant(iso8601: "2026-11-26T02:00:00Z")!

    static func slots(_ count: Int, from start: Instant = firstSlot, every step: Span = .minutes(30)) -> [Slot] {
        (0..<count).map { Slot(start: start + step * Int64($0)) }
    }

    static func invitee(_ id: String, start: Instant, email: String) -> Invitee {
        Invitee(uri: CalendlyURI("https://api.calendly.com/scheduled_events/EV-\(id)/invitees/INV-\(id)"),
                eventURI: CalendlyURI("https://api.calendly.com/scheduled_events/EV-\(id)"), email: email, start: start,
                cancelURL: "https://calendly.com/cancellations/INV-\(id)", rescheduleURL: "https://calendly.com/reschedulings/INV-\(id)")
    }

    // MARK: Webhooks

    static let signingKey = Array("whsec-golden-test-key".utf8)

    /// A deterministic keyed 32-byte digest standing in for HMAC-SHA256. The core takes the MAC as a
    /// function (it has no crypto), so these golden tests need none either: they check *how the core
    /// uses* a signature (header parsing, timestamp tolerance, mismatch, verify-before-parse). Real
    /// HMAC-SHA256 (swift-crypto) is exercised by the Interpreters/Host tests. This is NOT a secure MAC.
    static let toyMAC: WebhookSignature.HMAC = { key, message in
        var out: [UInt8] = []
        for lane in 0..<4 {
            var hash: UInt64 = 0xcbf2_9ce4_8422_2325 ^ (UInt64(lane) &* 0x9e37_79b9_7f4a_7c15)
            for byte in key + [0xFF] + message {
                hash ^= UInt64(byte)
                hash &*= 0x0000_0100_0000_01b3
            }
            for shift in 0..<8 { out.append(UInt8(truncatingIfNeeded: hash >> (8 * UInt64(shift)))) }
        }
        return out
    }

    static let signature = WebhookSignature(key: signingKey, hmac: toyMAC)
    static let wrongSignature = WebhookSignature(key: Array("some-other-key".utf8), hmac: toyMAC)

    /// A Calendly webhook body with keys in a fixed order.
    /// `newInvitee` / `oldInvitee` / `tracking` add the reschedule and UTM fields only when given.
    static func webhookBody(_ event: String, invitee: Invitee, eventType: CalendlyURI, createdAt: Instant, rescheduled: Bool = false,
                            newInvitee: CalendlyURI? = nil, oldInvitee: CalendlyURI? = nil, tracking: (source: String, content: String)? = nil) -> [UInt8] {
        let pairing = (newInvitee.map { #""new_invitee":"\#($0)","# } ?? "") + (oldInvitee.map { #""old_invitee":"\#($0)","# } ?? "")
        let utm = tracking.map { #","tracking":{"utm_source":"\#($0.source)","utm_content":"\#($0.content)"}"# } ?? ""
        let text = """
        {"created_at":"\(createdAt.iso8601)","event":"\(event)","payload":{"cancel_url":"\(invitee.cancelURL)","email":"\(invitee.email)",\
        "event":"\(invitee.eventURI)",\(pairing)"reschedule_url":"\(invitee.rescheduleURL)","rescheduled":\(rescheduled),\
        "scheduled_event":{"event_type":"\(eventType)","start_time":"\(invitee.start.iso8601)","uri":"\(invitee.eventURI)"}\(utm),\
        "uri":"\(invitee.uri)"}}
        """
        return Array(text.utf8)
    }

    static func delivery(_ body: [UInt8], signedAt: Instant, with signature: WebhookSignature = signature) -> WebhookIntake.Delivery {
        WebhookIntake.Delivery(signatureHeader: signature.header(for: body, at: signedAt), body: body)
    }

    // MARK: Effects

    /// The request id of the first Calendly call among `effects`.
    static func requestID(_ effects: [Effect]) -> RequestID? {
        for effect in effects { if case .calendly(let request, _) = effect { return request } }
        return nil
    }

    static func calls(_ effects: [Effect]) -> [CalendlyCall] {
        effects.compactMap { if case .calendly(_, let call) = $0 { return call } else { return nil } }
    }

    static func messages(_ effects: [Effect]) -> [MessageContent] {
        effects.compactMap { if case .send(let message) = $0 { return message.content } else { return nil } }
    }

    static func events(_ effects: [Effect]) -> [TelemetryEvent] {
        effects.compactMap { if case .emit(let event) = $0 { return event } else { return nil } }
    }

    static func stores(_ effects: [Effect]) -> [StoreCommand] {
        effects.compactMap { if case .store(let command) = $0 { return command } else { return nil } }
    }

    static func rejections(_ effects: [Effect]) -> [Rejection] {
        effects.compactMap { if case .reject(let rejection) = $0 { return rejection } else { return nil } }
    }

    static func texts(_ effects: [Effect]) -> [String] {
        messages(effects).compactMap { if case .text(let text) = $0 { return text } else { return nil } }
    }
}
