import Effects

/// The questions of issue 12: after the slot and the email, the conversation asks whatever the event
/// type requires that no mapped contact field answered (its location's input first, then each required
/// question in Calendly's order), one at a time. Optional questions are never asked; their mapped values
/// are sent when there are any.
extension BookingConversation {
    /// Answers that did not fit, per ask, before the customer gets the link (the same limit as emails).
    public static let maxUnclearAnswers = BookingConversation.maxInvalidEmails

    /// Slot and email are settled: ask the next thing the event type needs, else book.
    mutating func proceed(_ slot: Slot, from offer: SlotOffer, _ now: Instant) -> [Effect] {
        guard let ask = nextAsk() else { return book(slot, now) }
        let first = (asks ?? 0) == 0
        asks = (asks ?? 0) + 1
        let step = QuestionStep(ask: ask, number: asks ?? 1)
        phase = .askingQuestion(offer, chosen: slot, step)
        let question = say(QuestionRenderer.render(step, channel: channel))
        return first ? [say(.text(Copy.questionsIntro)), question] : [question]
    }

    /// The first thing still unknown: the location (a choice among several, then the invitee's part of
    /// it), then the required questions without an answer, by position.
    func nextAsk() -> InviteeAsk? {
        guard let setup else { return nil }
        let known = details ?? InviteeDetails()
        let locations = setup.eventType.locations
        if known.location == nil {
            if locations.count > 1, known.chosenLocation == nil { return .locationChoice(locations) }
            if let place = known.chosenLocation ?? locations.first, place.needsInviteeInput { return .locationDetail(place) }
        }
        let answered = Set(bookingAnswers.filter { !$0.answer.trimmingWhitespace().isEmpty }.map(\.question))
        return setup.eventType.shownQuestions.first { $0.required && !answered.contains($0.name) }.map(InviteeAsk.question)
    }

    /// One reply to the ask on screen: take it and go on, or re-ask with the reason, or give up.
    mutating func answered(_ reading: AnswerReader.Reading, _ offer: SlotOffer, _ chosen: Slot, _ step: QuestionStep, _ now: Instant) -> [Effect] {
        var known = details ?? InviteeDetails()
        switch (reading, step.ask) {
        case (.answer(let answer), .question(let question)):
            known.answers.removeAll { $0.question == question.name }
            known.answers.append(QuestionAnswer(question: question.name, answer: answer, position: question.position))
        case (.answer(let answer), .locationDetail(let place)):
            known.location = InviteeLocation(kind: place.kind, location: answer)
        case (.location(let index), .locationChoice(let places)) where places.indices.contains(index):
            let place = places[index]
            known.chosenLocation = place
            if !place.needsInviteeInput { known.location = InviteeLocation(kind: place.kind) }
        case (.unclear(let problem), _):
            var retry = step
            retry.unclear += 1
            if retry.unclear >= BookingConversation.maxUnclearAnswers { return giveUp("question_not_answered", now) }
            phase = .askingQuestion(offer, chosen: chosen, retry)
            return [say(.text(Copy.answerNotTaken(problem)))]
        case (.answer, .locationChoice), (.location, .question), (.location, .locationDetail), (.location, .locationChoice):
            // Readings follow the ask they were read for; a mismatch is a bug, so re-ask rather than guess.
            return [say(QuestionRenderer.render(step, channel: channel))]
        }
        details = known
        return proceed(chosen, from: offer, now)
    }

    /// `questions_and_answers`: mapped values and the customer's answers, only for questions the event
    /// type shows, in Calendly's order. An answer the customer gave wins over a mapped value.
    var bookingAnswers: [QuestionAnswer] {
        guard let setup else { return [] }
        let given = details?.answers ?? []
        var answers: [QuestionAnswer] = []
        for question in setup.eventType.shownQuestions {
            if let answer = given.first(where: { $0.question == question.name }) ?? setup.answers.first(where: { $0.question == question.name }) {
                answers.append(QuestionAnswer(question: question.name, answer: answer.answer, position: question.position))
            }
        }
        return answers
    }

    /// `location`: only what the customer chose or told. Otherwise absent: Calendly then uses the event
    /// type's own (single) location, so nothing the host set is ever sent back wrongly.
    var bookingLocation: InviteeLocation? { details?.location }

    /// The saved action is out of date with Calendly: tell its config (agent view) and telemetry.
    func needsReview(_ now: Instant) -> [Effect] {
        guard let setup else { return [] }
        return [.notify(.actionNeedsReview(setup.agent, reason: QuestionRefusal.reason, at: now)),
                .emit(.actionNeedsReview(agent: setup.agent, reason: QuestionRefusal.reason, at: now))]
    }

    func questionViolations(_ step: QuestionStep) -> [Violation] {
        var violations: [Violation] = []
        if step.unclear >= BookingConversation.maxUnclearAnswers { violations.append(Violation("\(id): ask \(step.number) past its unclear limit")) }
        guard let eventType = setup?.eventType else { return violations }
        switch step.ask {
        case .question(let question):
            if !eventType.shownQuestions.contains(where: { $0.name == question.name }) {
                violations.append(Violation("\(id): asking a question the event type does not have"))
            }
            if !question.required { violations.append(Violation("\(id): asking an optional question")) }
        case .locationChoice(let places):
            if places != eventType.locations { violations.append(Violation("\(id): offering locations the event type does not have")) }
        case .locationDetail(let place):
            if !eventType.locations.contains(place) { violations.append(Violation("\(id): asking for a location the event type does not have")) }
        }
        return violations
    }
}

/// Calendly's 400 for `questions_and_answers` or `location` (the classifier's summary names the
/// parameter: `CalendlyErrorClassifier.ErrorBody.summary`).
public enum QuestionRefusal {
    public static let reason = "answers_rejected"

    public static func isAboutAnswers(_ message: String) -> Bool {
        let text = message.lowercased()
        return text.contains("questions_and_answers") || text.contains("location")
    }
}
