import Core
import Effects
import Synchronization

/// `SimCalendly` as a `CalendlyPerformer`: the whole Calendly surface the core uses, in process, with
/// no HTTP. Drives the live runtime in tests (and shows what the emulator serves over HTTP).
public final class SimCalendlyPerformer: CalendlyPerformer, Sendable {
    public struct Account: Sendable {
        public var user: CalendlyUser
        public var scopes: [String]
        /// Only an organization admin may create organization-scoped webhook subscriptions.
        public var organizationAdmin: Bool
        public init(user: CalendlyUser, scopes: [String] = Connection.requiredScopes, organizationAdmin: Bool = true) {
            self.user = user; self.scopes = scopes; self.organizationAdmin = organizationAdmin
        }
    }

    struct State: Sendable {
        var calendly: SimCalendly
        var account: Account
        var issued = 0
        var calls: [CalendlyCall] = []
        /// Replies to hand out instead of the model's answer, consumed in order (fault injection).
        var scripted: [CalendlyReply] = []
        /// After performing a createInvitee, answer this instead (the booking exists; the reply lies).
        var afterBooking: [CalendlyReply] = []
    }

    private let state: Mutex<State>
    let now: @Sendable () -> Instant

    public init(calendly: SimCalendly, account: Account, now: @escaping @Sendable () -> Instant) {
        state = Mutex(State(calendly: calendly, account: account))
        self.now = now
    }

    public var calls: [CalendlyCall] { state.withLock { $0.calls } }
    public var model: SimCalendly { state.withLock { $0.calendly } }
    public func script(_ replies: [CalendlyReply]) { state.withLock { $0.scripted += replies } }
    public func scriptAfterBooking(_ replies: [CalendlyReply]) { state.withLock { $0.afterBooking += replies } }
    public func mutate(_ change: (inout SimCalendly) -> Void) { state.withLock { change(&$0.calendly) } }
    public func drainWebhooks() -> [SimCalendly.OutgoingWebhook] { state.withLock { $0.calendly.drainOutbox() } }

    public func perform(_ call: CalendlyCall) async -> CalendlyReply {
        let at = now()
        return state.withLock { state -> CalendlyReply in
            state.calls.append(call)
            if !state.scripted.isEmpty { return state.scripted.removeFirst() }
            switch call {
            case .exchangeCode:
                state.issued += 1
                return .tokenGranted(TokenGrant(token: TokenReference("sim-token-\(state.issued)"), owner: state.account.user.uri,
                                                organization: state.account.user.organization, scopes: state.account.scopes, expiresAt: at + .hours(2)))
            case .refreshToken(let token):
                return .tokenGranted(TokenGrant(token: token, owner: state.account.user.uri, organization: state.account.user.organization,
                                                scopes: state.account.scopes, expiresAt: at + .hours(2)))
            case .revokeToken:
                return .revoked
            case .currentUser:
                return .user(state.account.user)
            case .listEventTypes:
                return .eventTypes(state.calendly.eventTypes)
            case .getEventType(_, let uri):
                return state.calendly.eventType(uri).map(CalendlyReply.eventType) ?? .failed(.notFound)
            case .availableTimes(_, let eventType, let from, let to):
                switch state.calendly.availableTimes(eventType: eventType, from: from, to: to, now: at) {
                case .success(let slots): return .availableTimes(slots)
                case .failure(let failure): return .failed(failure)
                }
            case .createInvitee(_, let key, let request):
                // Calendly refuses a booking that misses a required answer (400 on questions_and_answers).
                if let eventType = state.calendly.eventType(request.eventType),
                   let missing = eventType.shownQuestions.first(where: { question in
                       question.required && !request.answers.contains { $0.question == question.name && !$0.answer.isEmpty }
                   }) {
                    return .failed(.rejected(message: "The supplied parameters are invalid. — questions_and_answers: Required question \"\(missing.name)\" must be answered"))
                }
                switch state.calendly.createInvitee(request, key: key, now: at) {
                case .success(let invitee):
                    if !state.afterBooking.isEmpty { return state.afterBooking.removeFirst() }
                    return .inviteeCreated(invitee)
                case .failure(let failure): return .failed(failure)
                }
            case .findInvitee(_, let eventType, let email, let start):
                return .inviteeFound(state.calendly.findInvitee(eventType: eventType, email: email, start: start))
            case .listScheduledInvitees(_, _, let from, let to, let eventTypes):
                return .scheduledInvitees(state.calendly.scheduledInvitees(from: from, to: to, eventTypes: eventTypes))
            case .createWebhookSubscription(_, let organization, let url, let events, let user):
                if user == nil, !state.account.organizationAdmin { return .failed(.forbidden(requiredScopes: [])) }
                switch state.calendly.createWebhookSubscription(url: url, events: events, organization: organization, user: user) {
                case .success(let subscription): return .webhookSubscription(subscription)
                case .failure(let failure): return .failed(failure)
                }
            case .listWebhookSubscriptions(_, let organization, let user):
                return .webhookSubscriptions(state.calendly.webhookSubscriptions(organization: organization, user: user))
            case .deleteWebhookSubscription(_, let uri):
                return state.calendly.deleteWebhookSubscription(uri) ? .webhookSubscriptionDeleted : .failed(.notFound)
            }
        }
    }
}
