import Core
import Effects
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Interpreters
import Testing
@testable import Host

/// Signed-but-unreadable webhooks (issue 10 item 8): kept bounded — newest `cap` rows, `Retention.deadLetterLifetime`
/// — in SQLite and in memory alike, and purged by the runtime's retention run.
@Suite struct DeadLetterTests {
    static let start = HostHarness.start

    static func letter(_ index: Int, at: Instant) -> WebhookDeadLetter {
        WebhookDeadLetter(reason: "r\(index)", receivedAt: at, body: Array("body \(index)".utf8))
    }

    static func temporaryStore() throws -> (SQLiteStore, String) {
        let directory = NSTemporaryDirectory() + "dead-letters-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        return (try SQLiteStore(path: directory + "/calendly-action.sqlite"), directory)
    }

    @Test func theCapKeepsTheNewestInBothStores() throws {
        let (sqlite, directory) = try Self.temporaryStore()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let memory = MemoryRuntimeStore()
        for index in 0..<5 {
            try sqlite.transaction { try $0.keepDeadLetter(Self.letter(index, at: Self.start + .minutes(Int64(index))), cap: 3) }
            try memory.transaction { try $0.keepDeadLetter(Self.letter(index, at: Self.start + .minutes(Int64(index))), cap: 3) }
        }
        let kept = try sqlite.transaction { try $0.deadLetters() }
        #expect(kept.map(\.reason) == ["r2", "r3", "r4"])
        #expect(kept == memory.snapshot.deadLetters, "the two stores agree")
        #expect(kept.last?.body == Array("body 4".utf8))
        try sqlite.transaction { try $0.keepDeadLetter(Self.letter(9, at: Self.start), cap: 0) }
        #expect(try sqlite.transaction { try $0.deadLetters() }.isEmpty, "a cap of 0 keeps nothing")
    }

    @Test func theRetentionRunPurgesOldDeadLetters() async throws {
        let (store, directory) = try Self.temporaryStore()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let clock = TestClock(Self.start)
        let services = HostHarness.services(store: store, calendly: HostHarness.calendly(clock: clock), clock: clock)
        try store.transaction { tx in
            try tx.keepDeadLetter(Self.letter(0, at: Self.start), cap: Retention.deadLetterCap)
            try tx.keepDeadLetter(Self.letter(1, at: Self.start + .days(10)), cap: Retention.deadLetterCap)
        }
        clock.advance(Retention.deadLetterLifetime + .days(1))
        _ = try services.runtime.purge()
        #expect(try store.transaction { try $0.deadLetters() }.map(\.reason) == ["r1"])
    }

    @Test func signedGarbageThroughTheRoutesIsAcknowledgedKeptAndCounted() async throws {
        let (store, directory) = try Self.temporaryStore()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let clock = TestClock(Self.start)
        let services = HostHarness.services(store: store, calendly: HostHarness.calendly(clock: clock), clock: clock)
        let signer = WebhookSignature(key: HostHarness.signingKey, hmac: CryptoHMAC.sha256)
        let header = HTTPField.Name(WebhookSignature.headerName)!
        try await Application(router: buildRouter(services)).test(.router) { client in
            for body in ["{not json", "[]", #"{"event":"invitee.canceled","payload":{"uri":42}}"#] {
                let bytes = Array(body.utf8)
                let (status, answer, _) = try await client.call(.post, "/v1/webhooks/calendly", headers: [header: signer.header(for: bytes, at: clock.now)], body: bytes)
                #expect(status == 200 && answer["status"] as? String == "dead_lettered", "\(body)")
            }
            let telemetry = try store.transaction { try $0.telemetryCounts() }
            #expect(telemetry["calendly_webhook_rejected"] == 3, "\(telemetry)")
            // An unsigned copy is refused and leaves nothing.
            let (status, _, _) = try await client.call(.post, "/v1/webhooks/calendly", body: Array("{not json".utf8))
            #expect(status == 401)
            #expect(try store.transaction { try $0.telemetryCounts() } == telemetry)
        }
        #expect(try store.transaction { try $0.deadLetters() }.count == 3)
        #expect(services.metrics.render().contains("calendly_webhook_dead_letters_total 3"))
    }
}
