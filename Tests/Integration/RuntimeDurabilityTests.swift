import Hummingbird
import HummingbirdTesting
import Interpreters
import Testing
@testable import Host

/// The runtime asks the store to sync exactly the steps after which Calendly changes (here: the
/// booking intent), and not the steps that only read from Calendly (the offer).
struct RuntimeDurabilityTests {
    @Test func theBookingIntentIsSyncedAndTheOfferIsNot() async throws {
        let harness = HostHarness()
        try await harness.application.test(.router) { client in
            try await HostRoutesTests.connectAndConfigure(client)
            let afterSetup = harness.store.snapshot.syncedCommits
            #expect(afterSetup > 0, "the code exchange and the subscription changed Calendly")
            let offer = #"{"agentId":"agent-1","channel":"text","timeZone":"Europe/Berlin","contact":{"contact.email":"ana@example.com"}}"#
            #expect(try await client.call(.post, "/v1/conversations/c1/booking/offer", token: HostRoutesTests.runtime, json: offer).0 == 200)
            #expect(harness.store.snapshot.syncedCommits == afterSetup, "availability reads need no fsync")
            let (status, booked, _) = try await client.call(.post, "/v1/conversations/c1/booking/reply", token: HostRoutesTests.runtime, json: #"{"text":"1"}"#)
            #expect(status == 200 && booked["state"] as? String == "confirmed")
            #expect(harness.store.snapshot.syncedCommits == afterSetup + 1, "one synced step: the intent, before POST /invitees")
        }
    }
}
