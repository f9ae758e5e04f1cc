import Effects
import Hummingbird
import HummingbirdTesting
import Interpreters
import Testing
@testable import Host

/// Calendly lets only organization admins subscribe an organization; anyone else is subscribed to their
/// own events instead, through the same routes and runtime.
struct SubscriptionScopeTests {
    @Test func aNonAdminIsSubscribedToTheirOwnEvents() async throws {
        let harness = HostHarness(organizationAdmin: false)
        try await harness.application.test(.router) { client in
            try await HostRoutesTests.connectAndConfigure(client)
            let records = harness.calendly.model.webhookSubscriptions
            #expect(records.count == 1 && records.first?.user == HostHarness.host.uri && records.first?.subscription.scope == "user", "\(records)")
            let (connection, _) = try harness.services.runtime.agentState(AgentID("acme:agent-1"))
            #expect(connection.webhooks.user == HostHarness.host.uri && connection.webhooks.lastError == nil)
        }
    }

    @Test func anAdminSubscribesTheOrganization() async throws {
        let harness = HostHarness()
        try await harness.application.test(.router) { client in
            try await HostRoutesTests.connectAndConfigure(client)
            let records = harness.calendly.model.webhookSubscriptions
            #expect(records.count == 1 && records.first?.user == nil && records.first?.subscription.scope == "organization", "\(records)")
        }
    }
}
