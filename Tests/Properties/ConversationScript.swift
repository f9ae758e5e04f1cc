import Core
import Effects

/// Drives one conversation from a list of small integers, choosing at each step an input that makes
/// sense for the current phase (a Calendly reply to the request in flight, a customer reply, a timer).
/// Scenarios are arrays, so shrinking deletes steps (DESIGN §7).
struct ConversationScript {
    struct Step: Equatable {
        var input: BookingConversation.Input
        var effects: [Effect]
        var state: BookingConversation
    }

    static let base = Instant(iso8601: "2026-03-07T12:00:00Z")!
    static let eventType = EventType(uri: "https://api.calendly.com/event_types/ET1", name: "Intro call", durationMinutes: 30,
                                     schedulingURL: "https://calendly.com/acme/intro")

    /// An event type that requires one question of every Calendly type, and offers two locations (one a call to the invitee).
    static let questioned = EventType(
        uri: "https://api.calendly.com/event_types/ET2", name: "Discovery call", durationMinutes: 45, schedulingURL: "https://calendly.com/acme/discovery",
        customQuestions: [
            CustomQuestion(name: "Topic", type: "text", position: 0, required: true),
            CustomQuestion(name: "Phone", type: "phone_number", position: 1, required: true),
            CustomQuestion(name: "Team size", type: "single_select", position: 2, required: true, answerChoices: ["1", "2-10", "11+"]),
            CustomQuestion(name: "Interests", type: "multi_select", position: 3, required: true, answerChoices: ["Sales", "Support", "API"], includeOther: true),
            CustomQuestion(name: "I agree to the terms", type: "multi_select", position: 4, required: true, answerChoices: ["I agree"]),
            CustomQuestion(name: "Company", position: 5, required: false),
        ],
        locations: [EventLocation(kind: "zoom_conference"), EventLocation(kind: LocationKind.outboundCall.rawValue)])

    static func setup(knownEmail: String?, questions: Bool = false) -> BookingSetup {
        BookingSetup(agent: "agent-1", eventType: questions ? questioned : eventType, token: "token-1", confirmationMessage: "See you!", knownEmail: knownEmail)
    }

    static func slots(count: Int, from now: Instant) -> [Slot] {
        (0..<count).map { Slot(start: now + .hours(2) + .minutes(30 * Int64($0))) }
    }

    static func invitee(_ attempt: BookingConversation.Attempt) -> Invitee {
        Invitee(uri: CalendlyURI("https://api.calendly.com/scheduled_events/E/invitees/\(attempt.key)"), eventURI: "https://api.calendly.com/scheduled_events/E",
                email: attempt.email, start: attempt.slot.start, cancelURL: "https://calendly.com/c/1", rescheduleURL: "https://calendly.com/r/1")
    }

    /// The next input for `state`, chosen by `code`.
    static func input(for state: BookingConversation, code: Int, at now: Instant) -> BookingConversation.Input {
        switch state.phase {
        case .idle, .notOffered, .staticLink, .confirmed:
            if code % 3 == 0 { return .customerReplied("can I reschedule?", at: now) }
            let channel = Channel.allCases[code % 3]
            let ready = setup(knownEmail: code % 2 == 0 ? "known@example.com" : nil, questions: code % 5 < 3)
            return .triggerMet(.init(setup: .ready(ready), channel: channel, timeZone: "America/New_York"), at: now)
        case .checkingAvailability(let request):
            let replies: [CalendlyReply] = [.availableTimes(slots(count: 1 + code % 12, from: now)), .availableTimes([]),
                                            .failed(.serverError(status: 503)), .outcomeUnknown, .failed(.rateLimited(retryAfter: nil))]
            return .calendlyReplied(request, replies[code % replies.count], at: now)
        case .slotsShown(let offer):
            switch code % 4 {
            case 0: return .customerChoseRow(offer.rowID((code / 4) % offer.slots.count), at: now)
            case 1: return .customerReplied("\((code / 4) % offer.slots.count + 1)", at: now)
            case 2: return .customerReplied("option \((code / 4) % (offer.slots.count + 2))", at: now)
            default: return .customerReplied("no idea", at: now)
            }
        case .askingEmail:
            return .customerReplied(code % 3 == 0 ? "not an email" : "Customer.\(code % 7)@Example.com", at: now)
        case .askingQuestion(_, _, let step):
            let replies = ["", "1", "2, 9", "yes", "+44 20 7946 0958", "0812 3456 789", "Acme", String(repeating: "x", count: 2000), "q\(step.number)a1"]
            let reply = replies[code % replies.count]
            return reply.hasPrefix("q") ? .customerChoseRow(reply, at: now) : .customerReplied(reply, at: now)
        case .booking(let attempt):
            let replies: [CalendlyReply] = [.inviteeCreated(invitee(attempt)), .failed(.slotUnavailable), .failed(.serverError(status: 500)),
                                            .outcomeUnknown, .failed(.rateLimited(retryAfter: .seconds(10))), .failed(.rejected(message: "bad")),
                                            .failed(.malformedResponse)]
            if code % 11 == 10 { return .bookingSeen(attempt.key, invitee(attempt), at: now) }
            return .calendlyReplied(attempt.request, replies[code % replies.count], at: now)
        case .reconciling(let attempt, let lookup?):
            let replies: [CalendlyReply] = [.inviteeFound(invitee(attempt)), .inviteeFound(nil), .failed(.unreachable), .outcomeUnknown]
            if code % 13 == 12 { return .recovered(at: now) }
            return .calendlyReplied(lookup, replies[code % replies.count], at: now)
        case .reconciling(_, nil):
            return code % 5 == 4 ? .recovered(at: now) : .timerFired(TimerID("\(state.id)/reconcile"), at: now)
        }
    }

    static func run(_ codes: [Int], persistBetweenSteps: Bool = false) -> [Step] {
        var state = BookingConversation(id: "conv-1")
        var now = base
        var steps: [Step] = []
        for code in codes {
            now = now + .seconds(1 + Int64(code % 5))
            let input = input(for: state, code: code, at: now)
            if persistBetweenSteps {
                // What a restart does: the state comes back from the store as bytes.
                state = try! JSONDecoder().decode(BookingConversation.self, from: JSONEncoder().encode(state))
            }
            let effects = BookingConversation.reduce(&state, input)
            steps.append(Step(input: input, effects: effects, state: state))
        }
        return steps
    }
}

import Foundation
