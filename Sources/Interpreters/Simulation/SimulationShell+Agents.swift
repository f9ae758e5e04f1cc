import Core
import Effects

/// The admin side of the simulated world (issue 11): every simulated agent connects its Calendly
/// account and saves its booking action through the step engine's `Connection` and `ActionConfig`
/// steps, as the admin routes do, and each trigger carries what `BookingSetup.resolve` makes of them —
/// no fixed setups. One Calendly user per agent, `agentsPerOrganization` of them to an organization.
extension SimulationShell {
    static var webhookURL: String { "https://sim.example/v1/webhooks/calendly" }
    static func user(_ agent: Int) -> CalendlyURI { CalendlyURI("https://api.calendly.com/users/HOST\(agent)") }
    static func agentID(_ agent: Int) -> AgentID { AgentID("agent-\(agent)") }
    static func eventTypeURI(_ agent: Int) -> CalendlyURI { CalendlyURI("https://api.calendly.com/event_types/ET\(agent)") }

    /// The agent number in an agent id or a token reference ("agent-7", "sim-token-7"), if it is one of ours.
    func agentNumber(_ text: String) -> Int? {
        guard let dash = text.lastIndex(of: "-"), let number = Int(text[text.index(after: dash)...]), number >= 0 else { return nil }
        return number
    }

    /// Connect → consent → exchange → user (→ webhook subscription), then open → list → save, all through
    /// the engine; the resolved setup, or nil (a violation: a simulated agent must end up runnable).
    func connectAgent(_ agent: Int, eventType: EventType) -> BookingSetup? {
        let id = Self.agentID(agent)
        let state = OAuthState("sim-oauth-state-\(agent)")
        runConnection(id, .connectRequested(state, webhookURL: Self.webhookURL, at: now))
        runConnection(id, .authorizationGranted(state, code: "sim-code-\(agent)", at: now))
        summary.connects += 1
        guard let account = agentState(id)?.0.account else {
            violate("\(id): not connected after the OAuth round trip")
            return nil
        }
        let configAccount = ActionConfig.Account(token: account.token, user: account.user, planInsufficient: account.planInsufficient)
        runConfig(id, .opened(configAccount, at: now))
        let draft = ActionDraft(eventType: eventType.uri, nameField: FieldRef(rawValue: "contact.name"), emailField: FieldRef(rawValue: "contact.email"),
                                trigger: "Customer asks to book a call", confirmationMessage: "See you then!")
        runConfig(id, .saveRequested(draft, configAccount, at: now))
        return resolveSetup(id)
    }

    /// What a trigger of this agent carries now (the host resolves it per offer the same way).
    func resolveSetup(_ id: AgentID) -> BookingSetup? {
        guard let (connection, config) = agentState(id) else { return nil }
        switch BookingSetup.resolve(entitlements: .all, connection: connection, config: config, contactFields: [:]) {
        case .ready(let setup):
            return setup
        case .notOffered(let reason):
            violate("\(id): booking not offered after connect and save (\(reason.rawValue))")
            return nil
        }
    }

    /// What the offer route does before a trigger: re-read a stale event type (a no-op step writes
    /// nothing), then resolve the agent's setup from its connection and config.
    func offerReadiness(_ agent: Int) -> BookingReadiness {
        let id = Self.agentID(agent)
        guard let (connection, _) = agentState(id) else { return .notOffered(.notConnected) }
        let account = connection.account.map { ActionConfig.Account(token: $0.token, user: $0.user, planInsufficient: $0.planInsufficient) }
        runConfig(id, .runtimeCheck(account, at: now))
        guard let (current, config) = agentState(id) else { return .notOffered(.notConnected) }
        return BookingSetup.resolve(entitlements: .all, connection: current, config: config, contactFields: [:])
    }

    func agentState(_ id: AgentID) -> (Connection, ActionConfig)? {
        do {
            return try engine.store.transaction { tx in
                (try tx.loadConnection(id) ?? Connection(agent: id), try tx.loadConfig(id) ?? ActionConfig(agent: id))
            }
        } catch {
            violate("\(id): reading the agent failed: \(error)")
            return nil
        }
    }

    /// A connection step and the Calendly calls it causes, answered at once (the admin's browser waits).
    func runConnection(_ agent: AgentID, _ input: Connection.Input) {
        var queue = [input]
        while !queue.isEmpty {
            let next = queue.removeFirst()
            summary.steps += 1
            let step: StepEngine<Store>.AgentStep<Connection>
            do { step = try engine.connection(agent, next, at: now) } catch {
                return violate("connection step of \(agent) failed: \(error)")
            }
            digest.mix("connection:\(agent.rawValue):\(step.state.phase)")
            route(step.outcome.followUps)
            for effect in step.outcome.external {
                if case .calendly(let request, let call) = effect { queue.append(.calendlyReplied(request, performAdmin(call), at: now)) }
            }
        }
    }

    /// An action-config step (a save, or one a conversation or webhook asked for) and its Calendly calls.
    func runConfig(_ agent: AgentID, _ input: ActionConfig.Input) {
        var queue = [input]
        while !queue.isEmpty {
            let next = queue.removeFirst()
            summary.steps += 1
            let step: StepEngine<Store>.AgentStep<ActionConfig>
            do { step = try engine.config(agent, next, at: now) } catch {
                return violate("config step of \(agent) failed: \(error)")
            }
            digest.mix("config:\(agent.rawValue):\(step.state.saved?.eventType.uri.rawValue ?? "-")")
            route(step.outcome.followUps)
            for effect in step.outcome.external {
                if case .calendly(let request, let call) = effect { queue.append(.calendlyReplied(request, performAdmin(call), at: now)) }
            }
        }
    }

    /// Follow-ups of an admin step or a webhook: conversations get them as background steps.
    func route(_ followUps: [LocalEffects.FollowUp]) {
        for followUp in followUps {
            switch followUp {
            case .conversation(let id, let input):
                if let index = index(of: id) { queue.push(.input(index, input, .background, epoch: epoch), at: now) }
            case .config(let agent, let input):
                runConfig(agent, input)
            case .connection(let agent, let input):
                runConnection(agent, input)
            }
        }
    }

    /// The access token a call is made with (none for the code exchange; the refresh token is checked apart).
    static func token(of call: CalendlyCall) -> TokenReference? {
        switch call {
        case .exchangeCode, .refreshToken, .revokeToken: return nil
        case .currentUser(let token), .listEventTypes(let token, _), .getEventType(let token, _), .availableTimes(let token, _, _, _),
             .createInvitee(let token, _, _), .findInvitee(let token, _, _, _), .listScheduledInvitees(let token, _, _, _, _),
             .createWebhookSubscription(let token, _, _, _, _), .listWebhookSubscriptions(let token, _, _), .deleteWebhookSubscription(let token, _):
            return token
        }
    }

    /// Calendly's OAuth, user, event-type and webhook-subscription endpoints in the model (no faults:
    /// the admin's set-up is not what the fault schedule is about); booking calls go through `perform`.
    func performAdmin(_ call: CalendlyCall) -> CalendlyReply {
        if let token = Self.token(of: call), unauthorized(token) { return .failed(.unauthorized) }
        switch call {
        case .exchangeCode(_, _, let agent):
            guard let number = agentNumber(agent.rawValue) else { return .failed(.unauthorized) }
            let token = TokenReference("sim-token-\(number)")
            granted(token, agent: number, expiresAt: now + .hours(2))
            return .tokenGranted(TokenGrant(token: token, owner: Self.user(number), organization: Self.organization(number),
                                            scopes: Connection.requiredScopes, expiresAt: now + .hours(2)))
        case .refreshToken(let token):
            guard let number = agentNumber(token.rawValue) else { return .failed(.invalidGrant) }
            return refresh(token, agent: number)
        case .revokeToken:
            return .revoked
        case .currentUser(let token):
            guard let number = agentNumber(token.rawValue) else { return .failed(.unauthorized) }
            return .user(CalendlyUser(uri: Self.user(number), email: "host\(number)@example.com", organization: Self.organization(number),
                                      schedulingURL: "https://calendly.com/host\(number)"))
        case .listEventTypes(let token, _):
            guard let number = agentNumber(token.rawValue) else { return .failed(.unauthorized) }
            return .eventTypes(calendly.eventType(Self.eventTypeURI(number)).map { [$0] } ?? [])
        case .getEventType(_, let uri):
            return calendly.eventType(uri).map(CalendlyReply.eventType) ?? .failed(.notFound)
        case .createWebhookSubscription(_, let organization, let url, let events, let user):
            switch calendly.createWebhookSubscription(url: url, events: events, organization: organization, user: user) {
            case .success(let subscription): return .webhookSubscription(subscription)
            case .failure(let failure): return .failed(failure)
            }
        case .listWebhookSubscriptions(_, let organization, let user):
            return .webhookSubscriptions(calendly.webhookSubscriptions(organization: organization, user: user))
        case .deleteWebhookSubscription(_, let uri):
            return calendly.deleteWebhookSubscription(uri) ? .webhookSubscriptionDeleted : .failed(.notFound)
        case .listScheduledInvitees:
            let reply = perform(call).1
            if case .scheduledInvitees = reply { reconciliationListed = true }
            return reply
        case .availableTimes, .createInvitee, .findInvitee:
            return perform(call).1
        }
    }
}
