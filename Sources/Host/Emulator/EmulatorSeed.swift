import Effects
import Interpreters

/// The Calendly account the emulator serves: one host user in one organization.
struct EmulatorAccount: Sendable {
    var uri: String
    var name: String
    var email: String
    var slug: String
    var schedulingURL: String
    var timezone: String
    var organization: String
    var createdAt: Instant

    static func host(base: String) -> EmulatorAccount {
        EmulatorAccount(uri: base + "/users/HOST", name: "Hannah Host", email: "host@example.com", slug: "hannah-host",
                        schedulingURL: "https://calendly.com/hannah-host", timezone: "Europe/Berlin",
                        organization: base + "/organizations/ORG", createdAt: EmulatorSeed.createdAt)
    }
}

/// What Calendly says about an event type beyond the fields the product models.
struct EventTypeMeta: Sendable {
    var slug: String
    var team: Bool
    var position: Int
    var description: String?
}

extension EventLocation {
    static let zoom = EventLocation(kind: "zoom_conference")
}

/// The seeded catalogue: bookable solo event types and every kind the product must filter out
/// (round robin, collective, group, secret, inactive, paid, poll), plus extra solo ones so lists page.
enum EmulatorSeed {
    static let createdAt = Instant(iso8601: "2026-01-05T10:00:00Z")!

    struct Entry {
        var eventType: EventType
        var schedule: SimCalendly.Schedule
        var meta: EventTypeMeta
    }

    static func catalog(base: String, account: EmulatorAccount, extraSolo: Int) -> [Entry] {
        var entries: [Entry] = []
        func add(_ id: String, _ name: String, minutes: Int = 30, active: Bool = true, kind: EventTypeKind = .solo, pooling: PoolingType? = nil,
                 secret: Bool = false, method: BookingMethod = .instant, paid: Bool = false, questions: [CustomQuestion] = [],
                 description: String? = nil, locations: [EventLocation] = [.zoom]) {
            let slug = name.lowercased().split(whereSeparator: { !$0.isLetter && !$0.isNumber }).joined(separator: "-")
            let team = pooling != nil
            let owner = team ? "https://calendly.com/team-emu" : account.schedulingURL
            let eventType = EventType(uri: CalendlyURI(base + "/event_types/" + id), name: name, active: active, durationMinutes: minutes, kind: kind,
                                      poolingType: pooling, secret: secret, bookingMethod: method, isPaid: paid,
                                      schedulingURL: owner + "/" + slug, customQuestions: questions, locations: locations)
            // Business hours 08:00–18:00 UTC, one slot per duration.
            let schedule = SimCalendly.Schedule(dayStartMinute: 8 * 60, dayEndMinute: 18 * 60, slotMinutes: minutes)
            entries.append(Entry(eventType: eventType, schedule: schedule,
                                 meta: EventTypeMeta(slug: slug, team: team, position: entries.count, description: description)))
        }
        add("ET-INTRO", "Intro call", questions: [CustomQuestion(name: "Company", position: 0)], description: "A first 30-minute conversation.")
        add("ET-DISCOVERY", "Discovery call", minutes: 45,
            questions: [CustomQuestion(name: "What would you like to discuss?", type: "text", position: 0, required: true),
                        CustomQuestion(name: "Phone number", type: "phone_number", position: 1, enabled: false)])
        add("ET-QUICK", "Quick chat", minutes: 15)
        add("ET-ROUNDROBIN", "Team round robin", pooling: .roundRobin)
        add("ET-COLLECTIVE", "Panel interview", minutes: 60, pooling: .collective)
        add("ET-GROUP", "Group webinar", minutes: 60, kind: .group)
        add("ET-SECRET", "Secret VIP call", secret: true)
        add("ET-INACTIVE", "Old consultation", active: false)
        add("ET-PAID", "Paid strategy session", minutes: 60, paid: true)
        add("ET-POLL", "Meeting poll", method: .poll)
        // One event type per Calendly question type and per location that needs the invitee, so the
        // product's question flow meets each (calendly-api.md "Custom questions", "Locations").
        add("ET-DEMO", "Product demo",
            questions: [CustomQuestion(name: "Team size", type: "single_select", position: 0, required: true,
                                       answerChoices: ["1-10", "11-50", "51-200", "201+"]),
                        CustomQuestion(name: "Topics", type: "multi_select", position: 1,
                                       answerChoices: ["Pricing", "Integrations", "Security"], includeOther: true),
                        CustomQuestion(name: "Anything else?", type: "text", position: 2)],
            locations: [.zoom, EventLocation(kind: "google_conference")])
        add("ET-CALLBACK", "Phone callback", minutes: 15,
            questions: [CustomQuestion(name: "Mobile number", type: "phone_number", position: 0, required: true)],
            locations: [EventLocation(kind: "outbound_call")])
        add("ET-VISIT", "Office visit", minutes: 60,
            questions: [CustomQuestion(name: "Services", type: "multi_select", position: 0, required: true,
                                       answerChoices: ["Audit", "Training", "Support"], includeOther: true),
                        CustomQuestion(name: "Your role", type: "string", position: 1, required: true)],
            locations: [EventLocation(kind: "physical", location: "Friedrichstraße 1, 10117 Berlin")])
        add("ET-ADVICE", "Tax advice", minutes: 30,
            questions: [CustomQuestion(name: "Tax year", type: "single_select", position: 0, required: true,
                                       answerChoices: ["2024", "2025", "2026"], includeOther: true),
                        CustomQuestion(name: "Phone", type: "phone_number", position: 1)],
            locations: [EventLocation(kind: "ask_invitee"), EventLocation(kind: "inbound_call", location: "+49 30 1234567")])
        for index in 0..<max(0, extraSolo) {
            let number = (index + 1).padded(3)
            add("ET-SOLO-\(number)", "Solo session \(number)", minutes: 30)
        }
        return entries
    }
}
