import Core
import Effects
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Interpreters
import Testing
@testable import Host

/// Issue 12 through the production routes: the save is honest (a stray mapping is a 422 naming it; the
/// answer lists what the chat will ask), a question added in Calendly after the save ends the booking in
/// the apology + link and marks the action "needs review" in the agent view, and saving again asks it.
@Suite struct QuestionRoutesTests {
    typealias R = HostRoutesTests
    static let budget = CustomQuestion(name: "Budget", type: "single_select", position: 1, required: true,
                                       answerChoices: ["Under $1k", "$1k–10k", "Over $10k"])

    @Test func aQuestionAddedInCalendlyIsReviewedThenAskedInTheChat() async throws {
        let harness = HostHarness()
        try await harness.application.test(.router) { client in
            try await R.connectAndConfigure(client)

            // A mapping to a question the event type does not have is refused, naming it.
            let stray = #"{"eventType":"https://api.calendly.com/event_types/INTRO","emailField":"contact.email","questionMappings":[{"question":"Budget","field":"contact.budget"}],"trigger":"t","confirmationMessage":"","enabled":true}"#
            let (strayStatus, refused, _) = try await client.call(.put, R.base + "/action", token: R.admin, json: stray)
            #expect(strayStatus == 422)
            #expect(refused["error"] as? String == "validation" && refused["field"] as? String == "questionMappings")
            #expect((refused["message"] as? String)?.contains("“Budget”") == true)

            // The host adds a required question in Calendly after the save.
            var changed = HostHarness.intro
            changed.customQuestions.append(Self.budget)
            harness.calendly.mutate { $0.addEventType(changed) }
            let offer = #"{"agentId":"agent-1","channel":"whatsapp","timeZone":"Asia/Jakarta","contact":{"contact.email":"ana@example.com","contact.company":"Acme"}}"#
            let (_, offered, _) = try await client.call(.post, "/v1/conversations/conv-q1/booking/offer", token: R.runtime, json: offer)
            let row = try #require(((offered["messages"] as? [[String: Any]])?.last?["rows"] as? [[String: Any]])?.first?["id"] as? String)
            let (_, failed, _) = try await client.call(.post, "/v1/conversations/conv-q1/booking/reply", token: R.runtime, json: #"{"rowId":"\#(row)"}"#)
            #expect(failed["state"] as? String == "staticLink")
            #expect(((failed["messages"] as? [[String: Any]])?.last?["text"] as? String)?.hasPrefix("Sorry, I couldn't complete the booking here.") == true)
            let reviewed = try await eventually {
                let (_, view, _) = try await client.call(.get, R.base, token: R.admin)
                let action = view["action"] as? [String: Any]
                return (action?["needsReview"] as? [String: Any])?["reason"] as? String == "answers_rejected"
            }
            #expect(reviewed, "the agent view never showed the action as needing review")

            // Saved again: Calendly's current type is read, the new question is listed and the review is cleared.
            let draft = #"{"eventType":"https://api.calendly.com/event_types/INTRO","emailField":"contact.email","questionMappings":[{"question":"Company","field":"contact.company"}],"trigger":"t","confirmationMessage":"","enabled":true}"#
            let (saveStatus, saved, body) = try await client.call(.put, R.base + "/action", token: R.admin, json: draft)
            #expect(saveStatus == 200, "\(body)")
            #expect(saved["needsReview"] == nil)
            let asked = saved["askedInChat"] as? [[String: String]]
            #expect(asked == [["question": "Budget", "type": "single_select", "when": "always"]])

            // Now the chat asks it (a WhatsApp list of its choices) and the booking carries the answer.
            let (_, again, _) = try await client.call(.post, "/v1/conversations/conv-q2/booking/offer", token: R.runtime, json: offer)
            let slot = try #require(((again["messages"] as? [[String: Any]])?.last?["rows"] as? [[String: Any]])?.first?["id"] as? String)
            let (_, question, _) = try await client.call(.post, "/v1/conversations/conv-q2/booking/reply", token: R.runtime, json: #"{"rowId":"\#(slot)"}"#)
            #expect(question["state"] as? String == "askingQuestion")
            let list = try #require((question["messages"] as? [[String: Any]])?.last)
            #expect(list["body"] as? String == "Budget")
            let choice = try #require((list["rows"] as? [[String: Any]])?[1]["id"] as? String)
            let (_, booked, _) = try await client.call(.post, "/v1/conversations/conv-q2/booking/reply", token: R.runtime, json: #"{"rowId":"\#(choice)"}"#)
            #expect(booked["state"] as? String == "confirmed")
            let last = harness.calendly.calls.compactMap { call -> InviteeRequest? in
                if case .createInvitee(_, _, let request) = call { return request } else { return nil }
            }.last
            #expect(last?.answers == [QuestionAnswer(question: "Company", answer: "Acme", position: 0),
                                      QuestionAnswer(question: "Budget", answer: "$1k–10k", position: 1)])
        }
    }

    /// The 15-minute cache: an offer made more than 15 minutes after the save reads the event type again
    /// first, so a question added in Calendly meanwhile is asked instead of refused.
    @Test func anOfferAfterTheCacheExpiredAsksTheNewQuestion() async throws {
        let harness = HostHarness()
        try await harness.application.test(.router) { client in
            try await R.connectAndConfigure(client)
            var changed = HostHarness.intro
            changed.customQuestions.append(Self.budget)
            harness.calendly.mutate { $0.addEventType(changed) }
            let offer = #"{"agentId":"agent-1","channel":"text","timeZone":"Europe/Berlin","contact":{"contact.email":"ana@example.com"}}"#

            harness.clock.advance(.minutes(10))
            _ = try await client.call(.post, "/v1/conversations/conv-s1/booking/offer", token: R.runtime, json: offer)
            let reads = { harness.calendly.calls.filter { if case .getEventType = $0 { return true } else { return false } }.count }
            #expect(reads() == 1, "within 15 minutes of the save, only the save's read")

            harness.clock.advance(.minutes(6))
            _ = try await client.call(.post, "/v1/conversations/conv-s2/booking/offer", token: R.runtime, json: offer)
            #expect(reads() == 2, "the stale event type is read again before the offer")
            let (_, asked, _) = try await client.call(.post, "/v1/conversations/conv-s2/booking/reply", token: R.runtime, json: #"{"text":"1"}"#)
            #expect(asked["state"] as? String == "askingQuestion")
            #expect(((asked["messages"] as? [[String: Any]])?.last?["text"] as? String)?.hasPrefix("Budget\n1. Under $1k") == true)
            let (_, booked, _) = try await client.call(.post, "/v1/conversations/conv-s2/booking/reply", token: R.runtime, json: #"{"text":"3"}"#)
            #expect(booked["state"] as? String == "confirmed")
        }
    }
}
