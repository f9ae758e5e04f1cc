import Core
import Effects

/// Disabled webhook subscriptions in the simulated world (issue 11): Calendly disables an organization's
/// subscription (as it does after 24 h of failed deliveries) and sends that organization nothing until
/// `serve`'s periodic check — `Connection.subscriptionCheck` for every connected agent, every 30 minutes —
/// deletes and re-creates it; then a full reconciliation (`Connection.reconcileDue` over the window
/// `BookingReconciliation` picks, as `LiveRuntime.reconcile` does) replays what was never sent.
///
/// Production follows every check with a full reconciliation of every agent. Here only the agents of an
/// organization that had a gap get one (until one succeeds): the others' runs would find nothing the
/// webhooks did not already bring, at a cost of every open reference per agent per check.
extension SimulationShell {
    /// Agents share an organization (and so one organization-scoped subscription) in groups of this size.
    static var agentsPerOrganization: Int { 8 }
    static var subscriptionCheckEvery: Span { .minutes(30) }

    static func organization(_ agent: Int) -> CalendlyURI {
        CalendlyURI("https://api.calendly.com/organizations/SIMORG\(agent / agentsPerOrganization)")
    }

    /// The agent whose event type `uri` is ("…/event_types/ET7" → 7).
    static func agent(ofEventType uri: CalendlyURI) -> Int? {
        guard let marker = uri.rawValue.range(of: "/event_types/ET", options: .backwards) else { return nil }
        return Int(uri.rawValue[marker.upperBound...])
    }

    /// Plans the disabled subscriptions of this run (inside the safety phase) and the first check.
    func planSubscriptionWorkload() {
        let organizations = (setups.count + Self.agentsPerOrganization - 1) / Self.agentsPerOrganization
        let span = max(Int64(1), (safetyEnds - config.start).milliseconds)
        for organization in 0..<organizations where faultStream.chance(faults.disabledSubscriptions) {
            gapOrganizations.insert(organization)
            queue.push(.disableSubscription(organization), at: config.start + .milliseconds(faultStream.int64(in: 0...span)))
        }
        scheduleSubscriptionCheck()
    }

    /// Whether anything but the periodic checks (and forgeries, which change nothing) is still to come.
    var othersPending: Bool { queue.count > pendingRefreshes + pendingSubscriptionChecks + pendingForgeries }

    /// Grants are never revoked in an organization with a gap: an agent disconnected before its gap is
    /// reconciled has no token to read Calendly with, so what it missed is lost to production too (a
    /// limit of the design, said in README, not a finding the workload should keep re-reporting).
    func inGapOrganization(_ agent: Int) -> Bool { gapOrganizations.contains(agent / Self.agentsPerOrganization) }

    func scheduleSubscriptionCheck() {
        pendingSubscriptionChecks += 1
        queue.push(.subscriptionCheck, at: now + Self.subscriptionCheckEvery)
    }

    /// Calendly disables the organization's subscription: from now on it sends that organization nothing.
    func disableSubscription(_ organization: Int) {
        let uri = CalendlyURI("https://api.calendly.com/organizations/SIMORG\(organization)")
        guard calendly.disableWebhookSubscriptions(organization: uri) else { return }
        summary.subscriptionsDisabled += 1
        digest.mix("subscription-disabled:\(organization)")
        let first = organization * Self.agentsPerOrganization
        for agent in first..<min(setups.count, first + Self.agentsPerOrganization) { owedReconciliation.insert(agent) }
    }

    /// Whether Calendly sends `webhook` at all (an event type of no simulated agent: always).
    func calendlySends(_ webhook: SimCalendly.OutgoingWebhook) -> Bool {
        guard let agent = Self.agent(ofEventType: webhook.eventType) else { return true }
        return calendly.sendsWebhook(webhook.kind, organization: Self.organization(agent), user: Self.user(agent), to: Self.webhookURL)
    }

    /// `serve`'s periodic check: every connected agent's subscription check, then the full reconciliation
    /// of the agents whose organization's subscription is active again after a gap.
    func subscriptionCheck() {
        pendingSubscriptionChecks -= 1
        summary.subscriptionChecks += 1
        let agents: [AgentID]
        do { agents = try engine.store.transaction { tx in try tx.connectedAgents() } } catch {
            return violate("listing the connected agents failed: \(error)")
        }
        let createdBefore = calendly.subscriptionSequence
        for agent in agents { runConnection(agent, .subscriptionCheck(webhookURL: Self.webhookURL, at: now)) }
        summary.subscriptionsRecreated += calendly.subscriptionSequence - createdBefore
        let connected = Set(agents)
        for agent in owedReconciliation.sorted() {
            let id = Self.agentID(agent)
            // A disconnected agent has no token to read Calendly with: production cannot reconcile it either.
            guard connected.contains(id) else { owedReconciliation.remove(agent); continue }
            guard calendly.sendsWebhook(.created, organization: Self.organization(agent), user: Self.user(agent), to: Self.webhookURL) else { continue }
            if reconcileGap(agent) { owedReconciliation.remove(agent) }
        }
        // Checks go on while anything else can still happen, and until every gap is reconciled.
        if othersPending || !owedReconciliation.isEmpty { scheduleSubscriptionCheck() }
    }

    /// `LiveRuntime.reconcile(agent:scope: .all)`: true when Calendly answered (or nothing needed a look).
    func reconcileGap(_ agent: Int) -> Bool {
        let id = Self.agentID(agent)
        let open: (references: [BookingReference], linkTypes: [CalendlyURI])
        do {
            open = try engine.store.transaction { tx in
                (try tx.openReferences(agent: id), try tx.fallbackEventTypes(agent: id, since: now - FallbackLink.offerLifetime))
            }
        } catch {
            violate("\(id): reading open references failed: \(error)")
            return true
        }
        guard let window = BookingReconciliation.window(for: open.references, linkEventTypes: open.linkTypes, scope: .all, now: now) else { return true }
        summary.gapReconciliations += 1
        reconciliationListed = false
        runConnection(id, .reconcileDue(window, at: now))
        return reconciliationListed
    }

    /// After the run: every organization with a connected agent has its subscription in place again.
    func checkSubscriptions() {
        let agents: [AgentID]
        do { agents = try engine.store.transaction { tx in try tx.connectedAgents() } } catch {
            return violate("listing the connected agents failed: \(error)")
        }
        for id in agents {
            guard let agent = agentNumber(id.rawValue) else { continue }
            if !calendly.sendsWebhook(.created, organization: Self.organization(agent), user: Self.user(agent), to: Self.webhookURL) {
                violate("\(id): connected, but Calendly sends its bookings' webhooks nowhere at the end")
            }
        }
        if !owedReconciliation.isEmpty {
            violate("agents \(owedReconciliation.sorted().prefix(5)) never reconciled after their webhook subscription's gap")
        }
    }
}
