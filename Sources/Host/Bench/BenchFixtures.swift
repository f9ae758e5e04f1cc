import Core
import Effects
import Foundation
import Interpreters

/// The booking setup and Calendly answers the in-process measurements run on, reached by running the
/// reducers (connect → list → save → resolve) the way the runtime does, never built by hand.
enum BenchFixtures {
    static let agent = AgentID("bench:agent-1")
    static let user = CalendlyUser(uri: "https://api.calendly.com/users/BENCH", email: "host@example.com",
                                   organization: "https://api.calendly.com/organizations/BENCH", schedulingURL: "https://calendly.com/bench")
    static let intro = EventType(uri: "https://api.calendly.com/event_types/INTRO", name: "Intro call", durationMinutes: 30,
                                 schedulingURL: "https://calendly.com/bench/intro", customQuestions: [CustomQuestion(name: "Company", position: 0)])
    static let start = Instant(iso8601: "2026-11-25T02:00:00Z")!
    static let contact = ["contact.email": "casey@example.com", "contact.name": "Casey", "contact.company": "Acme"]

    static func requestID(_ effects: [Effect]) -> RequestID? {
        for effect in effects { if case .calendly(let request, _) = effect { return request } }
        return nil
    }

    /// A ready booking setup for `intro` (email known, one mapped question).
    static func setup() -> BookingReadiness {
        var connection = Connection(agent: agent)
        _ = Connection.reduce(&connection, .connectRequested("bench-state", webhookURL: "http://127.0.0.1:8080/v1/webhooks/calendly", at: start))
        let exchange = Connection.reduce(&connection, .authorizationGranted("bench-state", code: "bench-code", at: start))
        let grant = TokenGrant(token: "bench-token", owner: user.uri, organization: user.organization, scopes: Connection.requiredScopes,
                               expiresAt: start + .hours(2))
        let load = Connection.reduce(&connection, .calendlyReplied(requestID(exchange) ?? RequestID(""), .tokenGranted(grant), at: start))
        _ = Connection.reduce(&connection, .calendlyReplied(requestID(load) ?? RequestID(""), .user(user), at: start))
        let account = connection.account.map { ActionConfig.Account(token: $0.token, user: $0.user, planInsufficient: $0.planInsufficient) }
        var config = ActionConfig(agent: agent)
        let open = ActionConfig.reduce(&config, .opened(account, at: start))
        _ = ActionConfig.reduce(&config, .calendlyReplied(requestID(open) ?? RequestID(""), .eventTypes([intro]), at: start))
        let draft = ActionDraft(eventType: intro.uri, nameField: "contact.name", emailField: "contact.email",
                                questionMappings: [QuestionMapping(question: "Company", field: "contact.company")],
                                trigger: "customer asks to meet", confirmationMessage: "See you soon!")
        let save = ActionConfig.reduce(&config, .saveRequested(draft, account, at: start))
        _ = ActionConfig.reduce(&config, .calendlyReplied(requestID(save) ?? RequestID(""), .eventType(intro), at: start))
        return BookingSetup.resolve(entitlements: .all, connection: connection, config: config, contactFields: contact)
    }

    /// Ten half-hourly slots from the next day.
    static let slots = (0..<10).map { Slot(start: start + .days(1) + .minutes(30) * Int64($0)) }

    /// A conversation waiting on the customer with slots shown (what an idle conversation holds).
    static func idleConversation(_ id: ConversationID, readiness: BookingReadiness) -> BookingConversation {
        var state = BookingConversation(id: id)
        let fetch = BookingConversation.reduce(&state, .triggerMet(.init(setup: readiness, channel: .whatsapp, timeZone: "Asia/Jakarta"), at: start))
        _ = BookingConversation.reduce(&state, .calendlyReplied(requestID(fetch) ?? RequestID(""), .availableTimes(slots), at: start))
        return state
    }
}
