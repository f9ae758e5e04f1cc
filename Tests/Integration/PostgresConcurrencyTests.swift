import Core
import Dispatch
import Effects
import Foundation
import Synchronization
import Testing
@testable import Interpreters
@testable import PostgresStore

/// Two `PostgresStore` instances on one database and schema: two hosts. Driven from plain threads
/// (`DispatchQueue.concurrentPerform`), since the store's transaction blocks its caller.
@Suite struct PostgresConcurrencyTests {
    static func twoHosts(_ test: String = #function, _ body: (PostgresStore, PostgresStore) throws -> Void) throws {
        _ = try PostgresTestDatabase.withStore(poolSize: 4, test) { first, url throws in
            let second = try PostgresStore(url: url, schema: first.schema, poolSize: 4)
            try body(first, second)
        }
    }

    /// Every delivery is inserted by both hosts at the same moment, many times over: exactly one insert
    /// of each is new.
    @Test func theSameWebhookDeliveryInsertedByTwoHostsAtOnceIsCountedOnce() throws {
        try Self.twoHosts { first, second throws in
            let ids = (0..<40).map { DeliveryID("delivery-\($0)") }
            let news = Mutex<[DeliveryID: Int]>([:])
            let failures = Mutex<[String]>([])
            DispatchQueue.concurrentPerform(iterations: ids.count * 2) { index in
                let id = ids[index / 2], store = index % 2 == 0 ? first : second
                do {
                    if try store.transaction({ try $0.insertDeliveryIfNew(id, at: SQLiteStoreTests.t0) }) { news.withLock { $0[id, default: 0] += 1 } }
                } catch { failures.withLock { $0.append("\(error)") } }
            }
            #expect(failures.withLock { $0 }.isEmpty)
            #expect(news.withLock { $0 } == Dictionary(uniqueKeysWithValues: ids.map { ($0, 1) }))
            #expect(try first.transaction { try $0.count(.webhookDeliveries) } == ids.count)
        }
    }

    /// The decisive interleaving, forced: host A has inserted the delivery but not committed when host B
    /// inserts it. B waits for A's commit, then sees the conflict.
    @Test func aSecondHostWaitsForTheFirstHostsUncommittedDelivery() throws {
        try Self.twoHosts { first, second throws in
            let inserted = DispatchSemaphore(value: 0)
            let firstResult = Mutex<Bool?>(nil)
            let thread = Thread {
                let result = try? first.transaction { tx -> Bool in
                    let new = try tx.insertDeliveryIfNew("delivery-x", at: SQLiteStoreTests.t0)
                    inserted.signal()
                    Thread.sleep(forTimeInterval: 0.3)
                    return new
                }
                firstResult.withLock { $0 = result }
                inserted.signal()
            }
            thread.start()
            inserted.wait()
            let started = Date()
            let secondNew = try second.transaction { try $0.insertDeliveryIfNew("delivery-x", at: SQLiteStoreTests.t0) }
            inserted.wait()
            #expect(firstResult.withLock { $0 } == true)
            #expect(secondNew == false)
            #expect(Date().timeIntervalSince(started) > 0.15, "the second insert did not wait for the first transaction")
        }
    }

    /// Read-modify-write of one conversation from both hosts, 8 threads × 15 steps: the conversation lock
    /// serializes them, so every increment survives (without it, READ COMMITTED loses updates).
    @Test func twoHostsStepsOnOneConversationSerializeWithoutLostUpdates() throws {
        try Self.twoHosts { first, second throws in
            let id: ConversationID = "acme:conv-raced"
            let failures = Mutex<[String]>([])
            DispatchQueue.concurrentPerform(iterations: 8) { worker in
                let store = worker % 2 == 0 ? first : second
                for _ in 0..<15 {
                    do {
                        try store.transaction { tx in
                            var state = try tx.loadConversation(id) ?? BookingConversation(id: id)
                            state.attempts += 1
                            try tx.saveConversation(state)
                        }
                    } catch { failures.withLock { $0.append("\(error)") } }
                }
            }
            #expect(failures.withLock { $0 }.isEmpty)
            #expect(try second.transaction { try $0.loadConversation(id) }?.attempts == 8 * 15)
        }
    }

    /// Two hosts counting telemetry into the same agent-day: the upsert adds, so no count is lost.
    @Test func twoHostsCountingIntoOneDayLoseNothing() throws {
        try Self.twoHosts { first, second throws in
            let agent = SQLiteStoreTests.agent
            DispatchQueue.concurrentPerform(iterations: 40) { index in
                let store = index % 2 == 0 ? first : second
                _ = try? store.transaction { tx in
                    tx.record(.bookingOffered(agent: agent, conversation: ConversationID("acme:conv-\(index)"), eventType: "https://api.calendly.com/event_types/INTRO",
                                              channel: .whatsapp, at: SQLiteStoreTests.t0))
                }
            }
            let day = SQLiteStoreTests.t0.utcDate
            let analytics = try first.analytics(agent: agent, from: day, to: day)
            #expect(analytics.days[Analytics.Day(agent: agent, date: day)]?.offered == 40)
        }
    }

    /// Two hosts starting at once on a fresh schema: the advisory lock makes one migrate and the other
    /// find the work done — both end at the current version, with no error.
    @Test func twoHostsMigratingAtOnceDoNotRace() throws {
        guard let url = try PostgresTestDatabase.url() else { return }
        let schema = "test_" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "")
        let results = Mutex<[String]>([])
        let stores = Mutex<[PostgresStore]>([])
        DispatchQueue.concurrentPerform(iterations: 4) { _ in
            do {
                let store = try PostgresStore(url: url, schema: schema, poolSize: 1)
                results.withLock { $0.append("v\(try! store.schemaVersion())") }
                stores.withLock { $0.append(store) }
            } catch { results.withLock { $0.append("\(error)") } }
        }
        defer { _ = try? stores.withLock { $0.first }?.transaction { try $0.session.run("DROP SCHEMA \(schema) CASCADE", operation: "drop") } }
        #expect(results.withLock { $0 } == Array(repeating: "v\(PostgresSchema.currentVersion)", count: 4))
    }
}
