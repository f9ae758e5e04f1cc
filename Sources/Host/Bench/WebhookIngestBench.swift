import Core
import Effects
import Foundation
import Interpreters
import Synchronization

/// Webhook ingest through the host (verify the signature, dedupe, durable write before the 2xx) in
/// requests per second, as a ratio to the bare route (`GET /health`) of the same server, both driven by
/// wrk at each connection count. Beside each ratio: the generator's own ceiling, wrk against a server
/// that does nothing (`NullHTTPServer`), for the bare GET and for the webhook script's POSTs.
enum WebhookIngestBench {
    static func run(host: BenchHost, wrk: Wrk?, connections: [Int], seconds: Int, deliveriesPerSecond: Int = 25_000, directory: String) async throws -> [BenchRow] {
        guard let wrk else {
            return connections.flatMap { count in Self.rows(connections: count, ingest: nil, health: nil, ceilingGet: nil, ceilingPost: nil, stored: 0, detail: Wrk.missing) }
        }
        let null = try NullHTTPServer.start()
        defer { null.stop() }
        let script = try WrkScripts.write(WrkScripts.replayWebhooks, named: "replay-webhooks.lua", in: directory)
        let eventType = host.emulator.baseURL + "/event_types/ET-INTRO"
        var rows: [BenchRow] = []
        for (round, count) in connections.enumerated() {
            // More deliveries than the run can send at the fastest ingest rate seen here, signed just before it.
            let lines = min(400_000, max(100, seconds * deliveriesPerSecond))
            let file = directory + "/webhooks-\(count).txt"
            try SignedWebhookFile.write(to: file, count: lines, prefix: "R\(round)C\(count)", eventType: eventType, key: BenchHost.signingKey,
                                        at: LiveCalendly.wallClock())
            let threads = min(2, count)
            let arguments = [file, String(threads)]
            let ceilingGet = try await wrk.run(.init(url: "http://127.0.0.1:\(null.port)/health", connections: count, threads: threads, seconds: seconds))
            let ceilingPost = try await wrk.run(.init(url: "http://127.0.0.1:\(null.port)/v1/webhooks/calendly", connections: count, threads: threads,
                                                      seconds: seconds, script: script, scriptArguments: arguments))
            let health = try await wrk.run(.init(url: host.baseURL + "/health", connections: count, threads: threads, seconds: seconds))
            let before = try host.storedDeliveries()
            let batchesBefore = host.sqlite?.store.counters.snapshot
            let ingest = try await wrk.run(.init(url: host.baseURL + "/v1/webhooks/calendly", connections: count, threads: threads, seconds: seconds,
                                                 script: script, scriptArguments: arguments))
            let stored = try host.storedDeliveries() - before
            let batches = batchesBefore.flatMap { before in host.sqlite.map { Self.batchDetail(before, $0.store.counters.snapshot, seconds: seconds) } } ?? ""
            try? FileManager.default.removeItem(atPath: file)
            let wrapped = ingest.requests > lines ? " (file wrapped: \(ingest.requests - lines) repeats)" : ""
            rows += Self.rows(connections: count, ingest: ingest, health: health, ceilingGet: ceilingGet, ceilingPost: ceilingPost, stored: stored,
                              detail: batches + wrapped)
        }
        return rows
    }

    /// What the group-commit batches did during a run: how many, how large, and how much of the run the
    /// serial batch thread was busy (fsync included) — near 100 %, that thread is ingest's limit.
    static func batchDetail(_ before: SQLiteStoreCounters.Snapshot, _ after: SQLiteStoreCounters.Snapshot, seconds: Int) -> String {
        let batches = after.batches - before.batches
        guard batches > 0 else { return "" }
        let calls = after.batchedCalls - before.batchedCalls
        let busy = Double(after.batchBusyNanoseconds - before.batchBusyNanoseconds) / 1e9
        let mean = BenchRow.format(Double(calls) / Double(batches))
        let cycle = BenchRow.format(busy / Double(batches) * 1000)
        let share = BenchRow.format(busy / Double(max(1, seconds)) * 100)
        return "; \(batches) batches (mean \(mean), largest so far \(after.largestBatch)), \(cycle) ms each, batch thread busy \(share) % of the run"
    }

    static func rows(connections: Int, ingest: WrkResult?, health: WrkResult?, ceilingGet: WrkResult?, ceilingPost: WrkResult?, stored: Int,
                     detail: String) -> [BenchRow] {
        let key = "_c\(connections)"
        let ratio = (health?.requestsPerSecond ?? 0) > 0 ? (ingest?.requestsPerSecond ?? 0) / (health?.requestsPerSecond ?? 1) : 0
        func ms(_ seconds: Double?) -> String { BenchRow.format((seconds ?? 0) * 1000) }
        let ingestDetail = ingest.map {
            "\($0.succeeded) answered 2xx of \($0.requests), \($0.non2xx) not, \(stored) deliveries stored; p50 \(ms($0.p50)) ms, p99 \(ms($0.p99)) ms" + detail
        } ?? detail
        let healthDetail = health.map { "p50 \(ms($0.p50)) ms, p99 \(ms($0.p99)) ms, \($0.non2xx) not 2xx" } ?? detail
        let ceiling = ceilingGet.map { get in
            "generator ceiling (wrk vs a do-nothing server): GET \(BenchRow.format(get.requestsPerSecond)), signed POST \(BenchRow.format(ceilingPost?.requestsPerSecond ?? 0)) req/s"
        } ?? detail
        // The goal is set at 32 connections (issue 16); the other counts show how the ratio moves.
        return [
            BenchRow(key: "webhook_ingest_per_s" + key, name: "webhook ingest, \(connections) conn (wrk)", value: ingest?.requestsPerSecond ?? 0, unit: "req/s",
                     detail: ingestDetail, goal: nil),
            BenchRow(key: "health_per_s" + key, name: "bare route GET /health, \(connections) conn (wrk)", value: health?.requestsPerSecond ?? 0, unit: "req/s",
                     detail: healthDetail, goal: nil),
            BenchRow(key: "webhook_ratio" + key, name: "webhook ingest / bare route, \(connections) conn", value: ratio, unit: "×",
                     detail: ceiling, goal: connections == 32 ? .atLeast(0.5) : nil),
        ]
    }

    /// Runs `requests` calls over `concurrency` workers; counts the ones `send` reports as right.
    static func rate(requests: Int, concurrency: Int, _ send: @escaping @Sendable (Int) async throws -> Bool) async throws -> (perSecond: Double, ok: Int) {
        let next = Counter(), ok = Counter()
        let clock = ContinuousClock()
        let started = clock.now
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<max(1, concurrency) {
                group.addTask {
                    while true {
                        let index = next.takeNext()
                        guard index < requests else { return }
                        if try await send(index) { _ = ok.takeNext() }
                    }
                }
            }
            try await group.waitForAll()
        }
        let elapsed = BenchClock.seconds(clock.now - started)
        return (Double(requests) / max(elapsed, 1e-9), ok.current)
    }
}

/// A shared counter for the request workers.
final class Counter: Sendable {
    private let value = Mutex(0)
    var current: Int { value.withLock { $0 } }
    /// Returns the current value and moves it on by one.
    func takeNext() -> Int { value.withLock { count in defer { count += 1 }; return count } }
}
