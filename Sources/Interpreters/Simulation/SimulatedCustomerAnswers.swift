import Core
import Effects

/// Simulated customers facing the event type's questions (issue 12): they answer well, badly (one
/// answer that does not fit per ask, then a fitting one), or never. The answer is chosen from the ask
/// on screen, the way a person reads the question; every message of one ask gets at most one reply.
extension SimulationShell {
    /// The questions of agent `agent`'s event type: none, or all of Calendly's types required, by turns.
    static func questions(_ agent: Int) -> [CustomQuestion] {
        switch agent % 3 {
        case 1:
            return [
                CustomQuestion(name: "What would you like to discuss?", type: "text", position: 0, required: true),
                CustomQuestion(name: "Phone number", type: "phone_number", position: 1, required: true),
                CustomQuestion(name: "Company", position: 2),
            ]
        case 2:
            return [
                CustomQuestion(name: "Team size", type: "single_select", position: 0, required: true, answerChoices: ["Just me", "2-10", "11+"]),
                CustomQuestion(name: "Interests", type: "multi_select", position: 1, required: true, answerChoices: ["Pricing", "Support", "API"],
                               includeOther: true),
                CustomQuestion(name: "Terms", type: "multi_select", position: 2, required: true, answerChoices: ["I agree"]),
            ]
        default:
            return []
        }
    }

    /// Locations: a choice with a call to the invitee on some agents, a single place elsewhere.
    static func locations(_ agent: Int) -> [EventLocation] {
        switch agent % 4 {
        case 1: return [EventLocation(kind: "zoom_conference"), EventLocation(kind: LocationKind.outboundCall.rawValue)]
        case 2: return [EventLocation(kind: LocationKind.askInvitee.rawValue)]
        default: return []
        }
    }

    func customerAnswers(_ content: MessageContent, _ step: QuestionStep, _ index: Int) {
        let customer = customers[index]
        guard !customer.abandons, customer.answering != .never else { return }
        // The intro and the re-ask come as their own texts: the question itself (or the reason) is what is answered.
        if case .text(let text) = content, text == Copy.questionsIntro { return }
        let think = Span.milliseconds(workload.int64(in: 2_000...40_000))
        if customer.answering == .badly, step.unclear == 0 {
            queue.push(.customer(index, .text(workload.pick(["", "?", "12", "9"]))), at: now + think)
            return
        }
        let rows: [String]
        switch content {
        case .interactiveList(_, _, let list): rows = list.map(\.id)
        case .buttons(_, let buttons): rows = buttons.map(\.id)
        case .text, .confirmationCard: rows = []
        }
        if !rows.isEmpty, workload.chance(0.8) {
            queue.push(.customer(index, .row(workload.pick(rows))), at: now + think)
            return
        }
        queue.push(.customer(index, .text(fittingAnswer(step))), at: now + think)
    }

    func fittingAnswer(_ step: QuestionStep) -> String {
        switch step.ask {
        case .question(let question):
            switch question.kind {
            case .string, .other: return workload.pick(["Acme", "Budi's bakery", "  Self-employed  "])
            case .text: return workload.pick(["Pricing for my team", "A demo\nand onboarding", "Renewal 🙂"])
            case .phoneNumber: return workload.pick(["+62 812 3456 789", "+44 20 7946 0958", "0044 20 7946 0958", "+1 (415) 555-0134"])
            case .singleSelect:
                return AnswerReader.isConfirmation(question) ? "yes" : "\(workload.int(in: 1...max(1, question.answerChoices.count)))"
            case .multiSelect:
                if AnswerReader.isConfirmation(question) { return workload.pick(["yes", "I agree", "ok"]) }
                return workload.pick(["1, 2", "3", "1 and 3", "Pricing"])
            }
        case .locationChoice(let places):
            return "\(workload.int(in: 1...max(1, places.count)))"
        case .locationDetail(let place):
            return place.known == .outboundCall ? "+62 812 3456 789" : workload.pick(["Our office", "Café Luna, Jl. Sudirman 1"])
        }
    }
}
