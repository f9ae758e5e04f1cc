import Effects

/// Every user-facing string, in one place (English). Strings quoted in the PRD are marked `PRD`;
/// the others fill gaps the PRD leaves and are worded in its voice.
public enum Copy {
    // MARK: Admin console (S01, S02, S04)
    /// PRD §7 empty state.
    public static let connectPrompt = "Connect your Calendly account to choose an event type."
    /// PRD §11.2 S01 loading state.
    public static let connecting = "Connecting…"
    /// PRD §7 success state.
    public static func connectedAs(_ email: String) -> String { "Connected as \(email)" }
    /// PRD §10 Behavior 1 failure.
    public static let connectFailed = "Couldn't connect to Calendly, try again"
    /// PRD S01 ERR-1: consent denied.
    public static let consentDenied = "Calendly access was not granted. Connect again to allow access."
    /// PRD S01 ERR-2 / §10 Behavior 1: "explain required Calendly plan".
    public static let planInsufficient = "This Calendly account can't be used for booking in chat: it needs a paid Calendly plan (Standard or higher) that allows the scheduling API. Upgrade in Calendly, then reconnect."
    /// PRD §10 Behavior 2 / S02 ERR-1.
    public static let couldNotRefresh = "Couldn't refresh"
    /// S02 ERR-1 without a cache.
    public static let eventTypesUnavailable = "Couldn't load event types from Calendly."
    /// PRD §10 Behavior 2 empty result.
    public static let noEligibleEventTypes = "No eligible event types found in this Calendly account"
    public static let retry = "Retry"
    /// PRD S04 empty and error states.
    public static let noBookingsInRange = "No bookings yet for this range."
    public static let metricsUnavailable = "Couldn't load booking metrics"
    /// Disconnected after a permanent token failure (PRD §6.7).
    public static let disconnected = "Disconnected"
    /// Calendly refused the connection's refresh token (access revoked, or the grant ended): only a reconnect helps.
    public static let grantRejected = "Disconnected: Calendly no longer accepts this connection (access was revoked or has ended). Connect Calendly again to keep booking in chat."

    // MARK: Action drawer row (S01 AC-1)
    public static let drawerGroup = "Other integration"
    public static let actionName = "Calendly"
    public static let actionDescription = "Let customers book a Calendly meeting inside the conversation."
    /// PRD §6 brand assets: a guarded slot until the real SVG is supplied (Open Question 4).
    public static let brandMarkSlot = "[CALENDLY_BRAND_SVG_PENDING — DO NOT CODE-GEN WITHOUT REPLACING]"

    // MARK: Validation (S02 ERR-2)
    public static let missingEventType = "Choose an event type."
    public static let missingEmailMapping = "Map the invitee email to a contact or conversation field."
    public static let eventTypeGone = "This event type no longer exists in Calendly. Choose another one."
    public static let eventTypeIneligible = "This event type can't be booked from chat. Choose an active one-on-one event type without payment."
    public static let confirmationTooLong = "Keep the confirmation message under 1,000 characters."
    public static func notAQuestion(_ question: String) -> String { "“\(question)” is not a question of this event type." }

    // MARK: Runtime (S03)
    /// PRD §7 loading state.
    public static let checkingAvailability = "Checking available times…"
    public static func slotsIntro(eventName: String, zoneLabel: String) -> String {
        "Here are the next available times for \(eventName) (\(zoneLabel)):"
    }
    public static let listButton = "Choose a time"
    public static let textListInstruction = "Reply with the number of the time you'd like."
    /// PRD S03 ERR-1 ("That time was just taken") followed by the fresh offer.
    public static let slotJustTaken = "That time was just taken. Here are the times available now."
    /// PRD §10 Behavior 3 empty state + static link.
    public static func noTimesAvailable(link: String) -> String { "No times available soon. You can still pick a time here: \(link)" }
    /// PRD S03 ERR-2: "a short apology" + static link.
    public static func apology(link: String) -> String { "Sorry, I couldn't complete the booking here. You can book directly on Calendly: \(link)" }
    public static let askEmail = "What email address should we send the booking confirmation to?"
    public static let invalidEmail = "That doesn't look like a valid email address. Please send it like name@example.com."
    public static func didNotUnderstand(count: Int) -> String {
        "Sorry, I didn't catch that. Reply with a number from 1 to \(count), or the time as shown."
    }
    /// Sent once while a lost booking reply is reconciled, so the customer is not left in silence.
    public static let stillConfirming = "One moment — I'm confirming your booking with Calendly."
    /// NEG-1: booking only this phase; reschedule/cancel happen in Calendly.
    public static func manageInCalendly(reschedule: String, cancel: String) -> String {
        "I can't change bookings here. To reschedule, use \(reschedule) — to cancel, use \(cancel)"
    }
    public static func alreadyBooked(when: String) -> String { "You're already booked for \(when)." }
    public static let defaultConfirmation = "You're booked! Calendly has emailed you the details."

    // MARK: Questions the event type requires (issue 12)
    /// Before the first question, so the customer knows why more is asked.
    public static let questionsIntro = "A few details for the booking:"
    public static let answerListButton = "Choose an answer"
    public static let locationListButton = "Choose a place"
    public static let textChoiceInstruction = "Reply with the number of your answer."
    public static let textChoiceOrOwnInstruction = "Reply with the number of your answer, or write your own."
    public static let multiChoiceInstruction = "Reply with the numbers of every answer that applies, e.g. 1, 3."
    public static let multiChoiceOrOwnInstruction = "Reply with the numbers of every answer that applies (e.g. 1, 3), or write your own."
    public static let confirmInstruction = "Reply yes to confirm."
    public static let phoneInstruction = "Please include the country code, e.g. +44 20 7946 0958."
    public static let locationQuestion = "Where should the meeting take place?"
    public static let outboundCallQuestion = "What number should we call you on?"
    public static let askInviteeLocationQuestion = "Where would you like to meet?"

    /// A label for an event type location (`locations[].kind`); a kind not known here reads generically.
    public static func locationLabel(_ location: EventLocation) -> String {
        switch location.known {
        case .zoom: return "Zoom"
        case .googleMeet: return "Google Meet"
        case .teams: return "Microsoft Teams"
        case .webex: return "Webex"
        case .goToMeeting: return "GoTo Meeting"
        case .outboundCall: return "Phone call (we call you)"
        case .inboundCall: return location.location.map { "Phone call (you call \($0))" } ?? "Phone call (you call us)"
        case .askInvitee: return "A place you choose"
        case .physical: return location.location.map { "In person: \($0)" } ?? "In person"
        case .other: return location.location ?? "Other"
        }
    }

    /// The re-ask after an answer that did not fit, with the reason.
    public static func answerNotTaken(_ problem: AnswerProblem) -> String {
        switch problem {
        case .empty: return "I didn't get an answer there. Please reply with your answer."
        case .tooLong(let limit): return "That answer is too long for Calendly. Please keep it under \(limit) characters."
        case .phone(.needsCountryCode): return "Please send the number with its country code, e.g. +44 20 7946 0958."
        case .phone(.tooShort): return "That number looks too short. Please send the full number with its country code."
        case .phone(.tooLong): return "That number looks too long. Please send one phone number with its country code."
        case .phone(.notANumber): return "That doesn't look like a phone number. Please send it like +44 20 7946 0958."
        case .noSuchChoice(let count): return "Sorry, I didn't catch that. Reply with a number from 1 to \(count)."
        case .notConfirmed: return "This is needed to book here. Reply yes to confirm."
        }
    }
}
