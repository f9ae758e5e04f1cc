import Core
import Effects
import Foundation
import HummingbirdTesting
import Interpreters
import Testing
@testable import Host

/// Issue 11 defect 6: `runnable` has one definition, Core's `BookingSetup.notRunnableReason`. The admin
/// view used to say "runnable" whenever the action was enabled and the agent connected, while the offer
/// route (through `BookingSetup.resolve`) refused for an insufficient plan or an event type that became
/// ineligible. Now the admin view says why, and the offer route agrees.
@Suite struct RunnableRoutesTests {
    static let admin = HostRoutesTests.admin
    static let runtime = HostRoutesTests.runtime
    static let base = HostRoutesTests.base
    static let offer = #"{"agentId":"agent-1","channel":"whatsapp","timeZone":"Asia/Jakarta","contact":{"contact.email":"ana@example.com"}}"#

    static func action(_ client: some TestClientProtocol) async throws -> [String: Any] {
        let (status, view, body) = try await client.call(.get, base, token: admin)
        #expect(status == 200, "\(body)")
        return view["action"] as? [String: Any] ?? [:]
    }

    static func offerState(_ client: some TestClientProtocol, _ conversation: String) async throws -> String? {
        let (status, offered, body) = try await client.call(.post, "/v1/conversations/\(conversation)/booking/offer", token: runtime, json: offer)
        #expect(status == 200, "\(body)")
        return offered["state"] as? String
    }

    @Test func anInsufficientPlanIsNotRunnableInTheAdminViewAndAtTheOffer() async throws {
        let harness = HostHarness()
        try await harness.application.test(.router) { client in
            try await HostRoutesTests.connectAndConfigure(client)
            let ready = try await Self.action(client)
            #expect(ready["runnable"] as? Bool == true && ready["notRunnableReason"] == nil)

            // The plan lost what booking needs since the action was saved (what a reconnect with fewer scopes records).
            try harness.store.transaction { tx in
                for agent in try tx.connectedAgents() {
                    guard var connection = try tx.loadConnection(agent), case .connected(var account) = connection.phase else { continue }
                    account.planInsufficient = true
                    connection.phase = .connected(account)
                    try tx.saveConnection(connection)
                }
            }
            let view = try await Self.action(client)
            #expect(view["runnable"] as? Bool == false)
            #expect(view["notRunnableReason"] as? String == NotOfferedReason.planInsufficient.rawValue)
            #expect(try await Self.offerState(client, "conv-plan") == "notOffered")
        }
    }

    @Test func anEventTypeThatBecameIneligibleIsNotRunnableInTheAdminViewAndAtTheOffer() async throws {
        let harness = HostHarness()
        try await harness.application.test(.router) { client in
            try await HostRoutesTests.connectAndConfigure(client)
            #expect(try await Self.offerState(client, "conv-before") == "slotsShown")

            // Deactivated in Calendly; the admin's refresh reads it again and the saved action follows.
            harness.calendly.mutate { calendly in
                var intro = HostHarness.intro
                intro.active = false
                calendly.addEventType(intro)
            }
            let (refreshed, _, body) = try await client.call(.get, Self.base + "/event-types?refresh=true", token: Self.admin)
            #expect(refreshed == 200, "\(body)")
            let view = try await Self.action(client)
            #expect(view["runnable"] as? Bool == false)
            #expect(view["notRunnableReason"] as? String == NotOfferedReason.eventTypeIneligible.rawValue)
            #expect(try await Self.offerState(client, "conv-after") == "notOffered")
        }
    }
}
