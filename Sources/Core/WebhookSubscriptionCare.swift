import Effects

/// The organization-scoped webhook subscription a connection keeps at Calendly (issue 6 item 1):
/// created on connect, deleted on disconnect (before the revoke), and looked at periodically, because
/// Calendly disables a subscription after 24 h of failed deliveries and then sends nothing at all.
public struct WebhookSubscriptionCare: Codable, Sendable, Hashable {
    public static let events = ["invitee.created", "invitee.canceled"]

    /// Why a subscription list is being read.
    public enum Listing: Codable, Sendable, Hashable {
        /// The periodic or start-up check.
        case check
        /// A create answered 409: find the existing subscription's URI. `recreating` carries the
        /// reason of a re-creation, so the operators' event still goes out.
        case afterConflict(recreating: String?)
    }

    public enum Step: Codable, Sendable, Hashable {
        case idle
        /// `POST` in flight; `recreating` names why (`missing`, `disabled`) when it replaces a lost one.
        case creating(RequestID, recreating: String?)
        case listing(RequestID, Listing)
        /// `DELETE` of a disabled subscription in flight; it is created again afterwards.
        case removingDisabled(RequestID)
    }

    /// Where Calendly should deliver (`<PUBLIC_BASE_URL>/v1/webhooks/calendly`), as the host last said.
    public var callbackURL: String?
    /// Ours at Calendly, once known (needed to delete it on disconnect).
    public var subscription: CalendlyURI?
    public var step: Step
    /// Set when Calendly refused the organization scope (the user is not an organization admin): the
    /// subscription then covers this user's own events.
    public var user: CalendlyURI?
    /// Why the last attempt to keep the subscription failed; the next check tries again.
    public var lastError: String?

    public init(callbackURL: String? = nil) {
        self.callbackURL = callbackURL; self.subscription = nil; self.step = .idle; self.lastError = nil
    }

    func waits(on request: RequestID) -> Bool {
        switch step {
        case .idle: return false
        case .creating(let expected, _), .listing(let expected, _), .removingDisabled(let expected): return expected == request
        }
    }
}

extension Connection {
    /// How to disconnect, given the other connected agents: Calendly keeps one subscription per
    /// organization, URL and scope (an organization's, or one user's), so while another connection relies
    /// on the same one it stays.
    public func disconnectInput(others: [Connection], at: Instant) -> Input {
        guard let organization = account?.organization else { return .disconnectRequested(at: at) }
        let shared = others.contains { other in
            other.agent != agent && other.account?.organization == organization
                && other.webhooks.callbackURL == webhooks.callbackURL && other.webhooks.user == webhooks.user
        }
        return shared ? .disconnectKeepingSubscription(at: at) : .disconnectRequested(at: at)
    }

    /// `POST /webhook_subscriptions` for this account's organization.
    mutating func subscribe(_ account: Account, recreating reason: String?) -> [Effect] {
        guard let url = webhooks.callbackURL, !url.isEmpty else {
            webhooks.step = .idle
            return [.log(LogEntry(.warning, "no webhook URL for \(agent): calendly webhook subscription not created"))]
        }
        let request = nextRequest()
        webhooks.step = .creating(request, recreating: reason)
        return [.calendly(request, .createWebhookSubscription(account.token, organization: account.organization, url: url,
                                                             events: WebhookSubscriptionCare.events, user: webhooks.user))]
    }

    /// The periodic check. It always starts afresh: a step left waiting by a crash is simply superseded
    /// (its late reply no longer matches and is ignored).
    mutating func checkSubscription(webhookURL: String, _ now: Instant) -> [Effect] {
        webhooks.callbackURL = webhookURL
        guard let account, !account.planInsufficient else { return [] }
        let request = nextRequest()
        webhooks.step = .listing(request, .check)
        return [.calendly(request, .listWebhookSubscriptions(account.token, organization: account.organization, user: webhooks.user))]
    }

    mutating func subscriptionReplied(_ reply: CalendlyReply, _ now: Instant) -> [Effect] {
        let step = webhooks.step
        webhooks.step = .idle
        // Disconnected while the call ran: nothing to keep (the disconnect took care of the rest).
        guard let account else { return [] }
        switch step {
        case .idle:
            return []
        case .creating(_, let reason):
            switch reply {
            case .webhookSubscription(let subscription):
                return subscribed(subscription.uri, recreating: reason, now)
            case .failed(.alreadyExists):
                // Ours exists already (another agent of the organization, or an earlier attempt): find its URI.
                let request = nextRequest()
                webhooks.step = .listing(request, .afterConflict(recreating: reason))
                return [.calendly(request, .listWebhookSubscriptions(account.token, organization: account.organization, user: webhooks.user))]
            case .failed(.forbidden) where webhooks.user == nil:
                // Organization subscriptions need an organization admin; the user's own events are what
                // this agent books anyway.
                webhooks.user = account.user
                return [.log(LogEntry(.info, "calendly refused an organization webhook subscription for \(agent); subscribing to the user's events"))]
                    + subscribe(account, recreating: reason)
            case .failed(let failure):
                return subscriptionFailed(failure.reason)
            case .outcomeUnknown:
                return subscriptionFailed("timeout")
            case .tokenGranted, .user, .revoked, .eventTypes, .eventType, .availableTimes, .inviteeCreated, .inviteeFound,
                 .webhookSubscriptions, .webhookSubscriptionDeleted, .scheduledInvitees:
                return subscriptionFailed("unexpected_reply")
            }
        case .listing(_, let purpose):
            switch reply {
            case .webhookSubscriptions(let list):
                return listed(list, purpose, account, now)
            case .failed(let failure):
                return subscriptionFailed(failure.reason)
            case .outcomeUnknown:
                return subscriptionFailed("timeout")
            case .tokenGranted, .user, .revoked, .eventTypes, .eventType, .availableTimes, .inviteeCreated, .inviteeFound,
                 .webhookSubscription, .webhookSubscriptionDeleted, .scheduledInvitees:
                return subscriptionFailed("unexpected_reply")
            }
        case .removingDisabled:
            switch reply {
            case .webhookSubscriptionDeleted, .failed(.notFound):
                webhooks.subscription = nil
                return subscribe(account, recreating: "disabled")
            case .failed(let failure):
                return subscriptionFailed(failure.reason)
            case .outcomeUnknown:
                return subscriptionFailed("timeout")
            case .tokenGranted, .user, .revoked, .eventTypes, .eventType, .availableTimes, .inviteeCreated, .inviteeFound,
                 .webhookSubscription, .webhookSubscriptions, .scheduledInvitees:
                return subscriptionFailed("unexpected_reply")
            }
        }
    }

    mutating func listed(_ list: [WebhookSubscription], _ purpose: WebhookSubscriptionCare.Listing, _ account: Account, _ now: Instant) -> [Effect] {
        let ours = list.filter { $0.callbackURL == webhooks.callbackURL }
        let active = ours.first { $0.active && WebhookSubscriptionCare.events.allSatisfy($0.events.contains) }
        if let active {
            switch purpose {
            case .check: return subscribed(active.uri, recreating: nil, now)
            case .afterConflict(let reason): return subscribed(active.uri, recreating: reason, now)
            }
        }
        switch purpose {
        case .check:
            if let disabled = ours.first {
                // Calendly gave up delivering (or the events changed): remove it, then subscribe again.
                let request = nextRequest()
                webhooks.subscription = disabled.uri
                webhooks.step = .removingDisabled(request)
                return [.calendly(request, .deleteWebhookSubscription(account.token, disabled.uri))]
            }
            webhooks.subscription = nil
            return subscribe(account, recreating: "missing")
        case .afterConflict:
            // 409 for our URL, yet no usable subscription listed: leave it to the next check.
            webhooks.subscription = ours.first?.uri
            return subscriptionFailed(ours.isEmpty ? "conflict_not_listed" : "disabled")
        }
    }

    mutating func subscribed(_ uri: CalendlyURI, recreating reason: String?, _ now: Instant) -> [Effect] {
        webhooks.subscription = uri
        webhooks.lastError = nil
        guard let reason else { return [] }
        return [.emit(.webhookSubscriptionRecreated(agent: agent, reason: reason, at: now))]
    }

    mutating func subscriptionFailed(_ reason: String) -> [Effect] {
        webhooks.lastError = reason
        return [.log(LogEntry(.warning, "calendly webhook subscription for \(agent) not in place: \(reason); the next check retries"))]
    }
}
