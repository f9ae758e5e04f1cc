import Core
import Effects
import Foundation
import PropertyBased
import Testing

@Suite struct ConversationProperties {
    static let scripts = Gen.int(in: 0...1000).array(of: 1...60)

    @Test func replayingSameInputsGivesSameStatesAndEffects() async {
        await propertyCheck(count: 200, input: Self.scripts) { codes in
            let first = ConversationScript.run(codes)
            let second = ConversationScript.run(codes)
            #expect(first == second)
            // And a state that went through the store (encode → decode) behaves identically.
            let restored = ConversationScript.run(codes, persistBetweenSteps: true)
            #expect(first == restored)
        }
    }

    @Test func aKeyIsResentOnlyAfterALookupProvedNothingWasBooked() async {
        await propertyCheck(count: 300, input: Self.scripts) { codes in
            var sends: [BookingKey: Int] = [:]
            var provenAbsent: Set<BookingKey> = []
            var intents: Set<BookingKey> = []
            var lastAttempt: BookingConversation.Attempt?
            for step in ConversationScript.run(codes) {
                if case .calendlyReplied(_, .inviteeFound(nil), _) = step.input, let attempt = lastAttempt { provenAbsent.insert(attempt.key) }
                for effect in step.effects {
                    if case .store(.recordIntent(let intent)) = effect { intents.insert(intent.key) }
                    guard case .calendly(_, .createInvitee(_, let key, _)) = effect else { continue }
                    #expect(intents.contains(key), "createInvitee before its intent was recorded")
                    sends[key, default: 0] += 1
                    if sends[key]! > 1 { #expect(provenAbsent.contains(key), "key \(key) resent without a lookup proving no booking") }
                    #expect(sends[key]! <= BookingConversation.maxSendsPerKey)
                }
                switch step.state.phase {
                case .booking(let attempt), .reconciling(let attempt, _): lastAttempt = attempt
                case .idle, .notOffered, .checkingAvailability, .slotsShown, .askingEmail, .askingQuestion, .confirmed, .staticLink: break
                }
                #expect(step.state.checkInvariants().isEmpty, "\(step.state.checkInvariants())")
            }
        }
    }

    @Test func noConfirmationWithoutABookingAndNoFailureMessageWhileOneMayExist() async {
        await propertyCheck(count: 300, input: Self.scripts) { codes in
            for step in ConversationScript.run(codes) {
                let sentCard = step.effects.contains { if case .send(let m) = $0, case .confirmationCard = m.content { return true }; return false }
                if sentCard {
                    let proof: Bool
                    switch step.input {
                    case .calendlyReplied(_, .inviteeCreated, _), .calendlyReplied(_, .inviteeFound(.some), _), .bookingSeen: proof = true
                    default: proof = false
                    }
                    #expect(proof, "confirmation card without Calendly's word: \(step.input)")
                }
                let apologized = step.effects.contains { if case .emit(.bookingFailed) = $0 { return true }; return false }
                if apologized, case .calendlyReplied(_, let reply, _) = step.input {
                    switch reply {
                    case .outcomeUnknown, .failed(.serverError), .failed(.malformedResponse):
                        // Allowed only for reads (availability); a booking in doubt must be reconciled first.
                        let wasBooking = step.effects.contains { if case .store(.settleIntent) = $0 { return true }; return false }
                        #expect(!wasBooking, "told the customer it failed while the booking was in doubt")
                    default: break
                    }
                }
            }
        }
    }
}
