import Core
import Effects
import Foundation
import Testing
@testable import Host
@testable import Interpreters

/// `LiveCalendly`'s webhook subscription calls against the emulator over loopback.
@Suite(.serialized) struct WebhookSubscriptionLiveTests {
    static let url = "https://qontak.example/v1/webhooks/calendly"

    /// What a user who is not an organization admin gets instead: a subscription to their own events.
    @Test func aUserScopedSubscriptionIsCreatedAndListedForThatUser() async throws {
        try await LiveHarness.run { harness in
            let token = await harness.connect()
            let organization = CalendlyURI(harness.baseURL + "/organizations/ORG")
            let user = CalendlyURI(harness.baseURL + "/users/HOST")
            let created = await harness.calendly.perform(.createWebhookSubscription(token, organization: organization, url: Self.url,
                                                                                    events: WebhookSubscriptionCare.events, user: user))
            guard case .webhookSubscription(let subscription) = created else { Issue.record("not created: \(created)"); return }
            #expect(subscription.scope == "user")
            #expect(await harness.calendly.perform(.listWebhookSubscriptions(token, organization: organization, user: user)) == .webhookSubscriptions([subscription]))
            #expect(await harness.calendly.perform(.listWebhookSubscriptions(token, organization: organization)) == .webhookSubscriptions([]),
                    "not among the organization's")
        }
    }

    @Test func createListAndDeleteLikeCalendly() async throws {
        try await LiveHarness.run { harness in
            let token = await harness.connect()
            let organization = CalendlyURI(harness.baseURL + "/organizations/ORG")
            let created = await harness.calendly.perform(.createWebhookSubscription(token, organization: organization, url: Self.url,
                                                                                    events: WebhookSubscriptionCare.events))
            guard case .webhookSubscription(let subscription) = created else { Issue.record("not created: \(created)"); return }
            #expect(subscription.callbackURL == Self.url)
            #expect(subscription.active)
            #expect(subscription.scope == "organization")
            #expect(Set(subscription.events) == Set(WebhookSubscriptionCare.events))
            #expect(subscription.uri.rawValue.hasPrefix(harness.baseURL + "/webhook_subscriptions/"))

            // The same URL again: Calendly's 409, which the core treats as "already there".
            let again = await harness.calendly.perform(.createWebhookSubscription(token, organization: organization, url: Self.url,
                                                                                  events: WebhookSubscriptionCare.events))
            #expect(again == .failed(.alreadyExists))

            #expect(await harness.calendly.perform(.listWebhookSubscriptions(token, organization: organization)) == .webhookSubscriptions([subscription]))
            #expect(await harness.calendly.perform(.deleteWebhookSubscription(token, subscription.uri)) == .webhookSubscriptionDeleted)
            #expect(await harness.calendly.perform(.deleteWebhookSubscription(token, subscription.uri)) == .failed(.notFound))
            #expect(await harness.calendly.perform(.listWebhookSubscriptions(token, organization: organization)) == .webhookSubscriptions([]))
        }
    }

    @Test func listingFollowsPages() async throws {
        try await LiveHarness.run(pageSize: 2) { harness in
            let token = await harness.connect()
            let organization = CalendlyURI(harness.baseURL + "/organizations/ORG")
            for index in 0..<5 {
                let reply = await harness.calendly.perform(.createWebhookSubscription(token, organization: organization, url: Self.url + "?n=\(index)",
                                                                                      events: ["invitee.created"]))
                guard case .webhookSubscription = reply else { Issue.record("not created: \(reply)"); return }
            }
            guard case .webhookSubscriptions(let list) = await harness.calendly.perform(.listWebhookSubscriptions(token, organization: organization)) else {
                Issue.record("no list"); return
            }
            #expect(Set(list.map(\.callbackURL)).count == 5)
        }
    }

    @Test func anotherOrganizationIsRefused() async throws {
        try await LiveHarness.run { harness in
            let token = await harness.connect()
            let reply = await harness.calendly.perform(.createWebhookSubscription(token, organization: "https://api.calendly.com/organizations/OTHER",
                                                                                  url: Self.url, events: WebhookSubscriptionCare.events))
            guard case .failed(.forbidden) = reply else { Issue.record("expected forbidden, got \(reply)"); return }
        }
    }
}
