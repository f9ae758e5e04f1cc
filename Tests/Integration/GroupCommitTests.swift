import Core
import Effects
import Foundation
import Synchronization
import Testing
@testable import Interpreters
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
#if canImport(Glibc)
import Glibc
#endif

/// Group commit (issue 16): concurrent callers of `SQLiteStore.groupTransaction` share transactions, yet
/// each is answered only after its own writes committed, a failing one is rolled back alone, and
/// webhook deliveries repeated concurrently are stored and applied once. No timing assertions.
@Suite struct GroupCommitTests {
    struct Refused: Error, Equatable { let index: Int }

    /// A row visible to a second connection has been committed (SQLite shows other connections nothing else).
    static func committedDeliveries(_ path: String) throws -> Set<String> {
        let reader = try Database(path: path, readOnly: true)
        return Set(try reader.rows("SELECT delivery_id FROM webhook_deliveries", []) { $0.text(0) ?? "" })
    }

    @Test func concurrentCallersAreEachAnsweredAfterTheirWritesCommitted() async throws {
        try await SQLiteStoreTests.withTemporaryPath { path in
            let store = try SQLiteStore(path: path)
            let count = 200
            let seenCommitted = try await withThrowingTaskGroup(of: Bool.self) { group in
                for index in 0..<count {
                    group.addTask {
                        let id = DeliveryID("d-\(index)")
                        let inserted = try await store.groupTransaction { tx in try tx.insertDeliveryIfNew(id, at: SQLiteStoreTests.t0) }
                        // Answered: another connection must already see the row.
                        let visible = try Self.committedDeliveries(path).contains(id.rawValue)
                        return inserted && visible
                    }
                }
                return try await group.reduce(into: 0) { $0 += $1 ? 1 : 0 }
            }
            #expect(seenCommitted == count)
            #expect(try Self.committedDeliveries(path).count == count)
            let counters = store.counters.snapshot
            #expect(counters.batchedCalls == count)
            #expect(counters.batches >= 1 && counters.batches <= count)
            #expect(counters.fsyncs == counters.batches)
            #expect(try store.integrityCheck() == "ok")
        }
    }

    @Test func aFailingCallerIsRolledBackAloneAndTheOthersCommit() async throws {
        try await SQLiteStoreTests.withTemporaryPath { path in
            let store = try SQLiteStore(path: path)
            let count = 120
            let answers = await withTaskGroup(of: (Int, Result<Bool, Refused>).self) { group in
                for index in 0..<count {
                    group.addTask {
                        do {
                            let value = try await store.groupTransaction { tx -> Bool in
                                let inserted = try tx.insertDeliveryIfNew(DeliveryID("d-\(index)"), at: SQLiteStoreTests.t0)
                                try tx.appendJournal(stream: "test:\(index)", at: SQLiteStoreTests.t0, kind: "test", payload: "{}")
                                // Every third one fails after writing: its writes must vanish, nobody else's.
                                if index % 3 == 0 { throw Refused(index: index) }
                                return inserted
                            }
                            return (index, .success(value))
                        } catch let refused as Refused {
                            return (index, .failure(refused))
                        } catch {
                            Issue.record("unexpected \(error)")
                            return (index, .failure(Refused(index: -1)))
                        }
                    }
                }
                return await group.reduce(into: [Int: Result<Bool, Refused>]()) { $0[$1.0] = $1.1 }
            }
            for index in 0..<count {
                #expect(answers[index] == (index % 3 == 0 ? .failure(Refused(index: index)) : .success(true)), "caller \(index)")
            }
            let expected = Set((0..<count).filter { $0 % 3 != 0 }.map { "d-\($0)" })
            #expect(try Self.committedDeliveries(path) == expected)
            #expect(try store.transaction { try $0.count(.journal) } == expected.count)
        }
    }

    @Test func aStatementFailureInOneCallerDoesNotPoisonTheBatch() async throws {
        try await SQLiteStoreTests.withTemporaryPath { path in
            let store = try SQLiteStore(path: path)
            let results = await withTaskGroup(of: Bool.self) { group in
                for index in 0..<40 {
                    group.addTask {
                        (try? await store.groupTransaction { tx in
                            _ = try tx.insertDeliveryIfNew(DeliveryID("d-\(index)"), at: SQLiteStoreTests.t0)
                            // A failing statement poisons only this caller's savepoint.
                            if index == 7 { try tx.checked { try tx.db.run("INSERT INTO no_such_table VALUES (1)") } }
                            return true
                        }) ?? false
                    }
                }
                return await group.reduce(into: [Bool]()) { $0.append($1) }
            }
            #expect(results.filter { $0 }.count == 39)
            let stored = try Self.committedDeliveries(path)
            #expect(stored.count == 39 && !stored.contains("d-7"))
        }
    }

    @Test func theDefaultGroupTransactionIsAPlainOne() async throws {
        let store = MemoryRuntimeStore()
        #expect(try await store.groupTransaction { tx in try tx.insertDeliveryIfNew(DeliveryID("d"), at: SQLiteStoreTests.t0) })
        #expect(!(try await store.groupTransaction { tx in try tx.insertDeliveryIfNew(DeliveryID("d"), at: SQLiteStoreTests.t0) }))
        await #expect(throws: Refused.self) {
            try await store.groupTransaction { tx -> Void in
                _ = try tx.insertDeliveryIfNew(DeliveryID("e"), at: SQLiteStoreTests.t0)
                throw Refused(index: 0)
            }
        }
        #expect(try store.transaction { $0.deliveries.keys.map(\.rawValue).sorted() } == ["d"])
    }

    // MARK: - Webhooks through the runtime

    struct NoCalendly: CalendlyPerformer { func perform(_ call: CalendlyCall) async -> CalendlyReply { .failed(.unreachable) } }
    struct NoTelemetry: TelemetrySink { func observe(_ event: TelemetryEvent) async {} }

    static let signature = WebhookSignature(key: Array("group-commit-test-key".utf8), hmac: CryptoHMAC.sha256)

    static func delivery(_ index: Int, at: Instant) -> WebhookIntake.Delivery {
        let invitee = "https://api.calendly.com/scheduled_events/EVG\(index)/invitees/ING\(index)"
        let body = Array("""
            {"created_at":"2026-11-25T02:00:00.000000Z","event":"invitee.created","payload":{"cancel_url":"https://calendly.com/cancellations/ING\(index)",\
            "email":"group.\(index)@example.com","event":"https://api.calendly.com/scheduled_events/EVG\(index)",\
            "reschedule_url":"https://calendly.com/reschedulings/ING\(index)","rescheduled":false,\
            "scheduled_event":{"event_type":"https://api.calendly.com/event_types/ET","start_time":"2026-11-30T09:00:00.000000Z",\
            "uri":"https://api.calendly.com/scheduled_events/EVG\(index)"},"uri":"\(invitee)"}}
            """.utf8)
        return WebhookIntake.Delivery(signatureHeader: signature.header(for: body, at: at), body: body)
    }

    @Test func concurrentRepeatsOfOneDeliveryAreAppliedOnceAndTheRestAreDuplicates() async throws {
        try await SQLiteStoreTests.withTemporaryPath { path in
            let store = try SQLiteStore(path: path)
            let now = SQLiteStoreTests.t0
            let runtime = LiveRuntime(store: store, calendly: NoCalendly(), sink: NoMessages(), telemetry: NoTelemetry(), now: { now })
            let distinct = 30, copies = 4
            let verdicts = try await withThrowingTaskGroup(of: (Int, WebhookIntake.Verdict).self) { group in
                for _ in 0..<copies {
                    for index in 0..<distinct {
                        group.addTask { (index, try await runtime.webhook(Self.delivery(index, at: now), signature: Self.signature)) }
                    }
                }
                return try await group.reduce(into: [(Int, WebhookIntake.Verdict)]()) { $0.append($1) }
            }
            for index in 0..<distinct {
                let mine = verdicts.filter { $0.0 == index }.map(\.1)
                #expect(mine.filter { if case .accepted = $0 { true } else { false } }.count == 1, "delivery \(index)")
                #expect(mine.filter { $0 == .duplicate }.count == copies - 1, "delivery \(index)")
            }
            let (stored, journaled) = try store.transaction { tx in (try tx.count(.webhookDeliveries), try tx.journal(stream: "webhooks").count) }
            #expect(stored == distinct)
            // One journal row per applied notice (an unknown event goes to the "webhooks" stream); none for repeats.
            #expect(journaled == distinct)
        }
    }
}

/// Kill -9 in the middle of concurrent webhook batches (the CrashDrill idea, against `serve` itself): every
/// delivery that was answered `accepted` before the kill is in the database afterwards.
@Suite(.serialized) struct GroupCommitCrashTests {
    @Test func aKillMidBatchLosesNoAcknowledgedDelivery() async throws {
        let emulator = try await EmulateProcess()
        defer { emulator.stop() }
        let serve = try ServeProcess(environment: calendlyModeEnvironment(calendly: emulator.base))
        try await serve.start()
        let signature = WebhookSignature(key: Array("calendly-emulator-development-signing-key".utf8), hmac: CryptoHMAC.sha256)
        final class Acknowledged: Sendable { let invitees = Mutex<[String]>([]) }
        let acknowledged = Acknowledged()
        let url = URL(string: serve.base + "/v1/webhooks/calendly")!
        let pid = serve.process.processIdentifier
        await withTaskGroup(of: Void.self) { group in
            for worker in 0..<16 {
                group.addTask {
                    for round in 0..<200 {
                        let index = worker * 1000 + round
                        let now = Instant(millisecondsSince1970: Int64(Date().timeIntervalSince1970 * 1000))
                        let delivery = GroupCommitTests.delivery(index, at: now)
                        var request = URLRequest(url: url)
                        request.httpMethod = "POST"
                        request.httpBody = Data(delivery.body)
                        request.setValue("application/json", forHTTPHeaderField: "Content-Type")
                        request.setValue(signature.header(for: delivery.body, at: now), forHTTPHeaderField: WebhookSignature.headerName)
                        request.timeoutInterval = 5
                        guard let (data, response) = try? await URLSession.shared.data(for: request) else { return }
                        if (response as? HTTPURLResponse)?.statusCode == 200, String(decoding: data, as: UTF8.self).contains("accepted") {
                            let count = acknowledged.invitees.withLock { $0.append("https://api.calendly.com/scheduled_events/EVG\(index)/invitees/ING\(index)"); return $0.count }
                            // Killed while the other workers' deliveries are mid-batch.
                            if count == 150 { kill(pid, SIGKILL) }
                        }
                    }
                }
            }
        }
        _ = await serve.terminate()
        let acked = acknowledged.invitees.withLock { $0 }
        #expect(acked.count >= 150)
        let database = try Database(path: serve.dataDirectory + "/calendly-action.sqlite")
        let stored = Set(try database.rows("SELECT delivery_id FROM webhook_deliveries", []) { $0.text(0) ?? "" })
        let lost = acked.filter { !stored.contains("invitee.created|\($0)") }
        #expect(lost.isEmpty, "acknowledged but not stored: \(lost.prefix(5))")
        try? FileManager.default.removeItem(atPath: serve.dataDirectory)
    }
}
