import Effects
import Foundation
import Hummingbird
import HummingbirdTesting
import Interpreters
import Synchronization
import Testing
@testable import Host

/// Issue 4: two requests for one conversation never interleave; different conversations do run at once.
struct ConversationSerializationTests {
    /// Counts availability calls in flight (slowed down so overlaps are visible).
    final class OverlapWatcher: CalendlyPerformer, Sendable {
        let inner: any CalendlyPerformer
        let state = Mutex((inFlight: 0, most: 0))
        init(_ inner: any CalendlyPerformer) { self.inner = inner }
        var most: Int { state.withLock { $0.most } }

        func perform(_ call: CalendlyCall) async -> CalendlyReply {
            guard case .availableTimes = call else { return await inner.perform(call) }
            state.withLock { $0.inFlight += 1; $0.most = max($0.most, $0.inFlight) }
            try? await Task.sleep(for: .milliseconds(150))
            let reply = await inner.perform(call)
            state.withLock { $0.inFlight -= 1 }
            return reply
        }
    }

    static let offer = #"{"agentId":"agent-1","channel":"text","timeZone":"Europe/Berlin","contact":{"contact.email":"ana@example.com"}}"#

    func concurrentOffers(_ conversations: [String]) async throws -> (most: Int, states: [String]) {
        let watcher = Mutex<OverlapWatcher?>(nil)
        let harness = HostHarness { inner in
            let made = OverlapWatcher(inner)
            watcher.withLock { $0 = made }
            return made
        }
        let states = Mutex<[String]>([])
        try await harness.application.test(.router) { client in
            try await HostRoutesTests.connectAndConfigure(client)
            let finished = try await withThrowingTaskGroup(of: String.self) { group in
                for id in conversations {
                    group.addTask {
                        let (status, body, _) = try await client.call(.post, "/v1/conversations/\(id)/booking/offer", token: HostRoutesTests.runtime, json: Self.offer)
                        return "\(status) \(body["state"] as? String ?? "-")"
                    }
                }
                return try await group.reduce(into: [String]()) { $0.append($1) }
            }
            states.withLock { $0 = finished }
        }
        return (watcher.withLock { $0?.most ?? 0 }, states.withLock { $0.sorted() })
    }

    @Test func twoOffersForOneConversationRunOneAfterTheOther() async throws {
        let (most, states) = try await concurrentOffers(["same", "same"])
        #expect(most == 1, "calls of one conversation overlapped")
        // The second trigger sees the first one's state: the booking is already under way.
        #expect(states == ["200 slotsShown", "409 -"], "\(states)")
    }

    /// The watcher can see overlap at all: otherwise the test above could not fail.
    @Test func offersForDifferentConversationsRunConcurrently() async throws {
        let (most, _) = try await concurrentOffers(["one", "two"])
        #expect(most == 2)
    }
}
