import Core
import Effects
import Foundation
import Interpreters
import Synchronization

/// Webhook ingest through the host router (verify the signature, dedupe, durable write) in requests
/// per second, as a ratio to a bare route (`GET /health`) on the same server with the same client.
enum WebhookIngestBench {
    static func run(host: BenchHost, client: BenchHTTPClient, requests: Int, concurrency: Int) async throws -> [BenchRow] {
        let signature = WebhookSignature(key: BenchHost.signingKey, hmac: CryptoHMAC.sha256)
        let eventType = host.emulator.baseURL + "/event_types/ET-INTRO"
        let bodies: [Data] = (0..<requests).map { index in
            let invitee = "https://api.calendly.com/scheduled_events/EVB\(index)/invitees/INB\(index)"
            let text = """
            {"created_at":"2026-11-25T02:00:00.000000Z","event":"invitee.created","payload":{"cancel_url":"https://calendly.com/cancellations/INB\(index)",\
            "email":"bench.\(index)@example.com","event":"https://api.calendly.com/scheduled_events/EVB\(index)",\
            "reschedule_url":"https://calendly.com/reschedulings/INB\(index)","rescheduled":false,\
            "scheduled_event":{"event_type":"\(eventType)","start_time":"2026-11-30T09:00:00.000000Z","uri":"https://api.calendly.com/scheduled_events/EVB\(index)"},\
            "uri":"\(invitee)"}}
            """
            return Data(text.utf8)
        }
        let health = try await rate(requests: requests, concurrency: concurrency) { _ in
            try await client.send("GET", host.baseURL + "/health").status == 200
        }
        let webhooks = try await rate(requests: requests, concurrency: concurrency) { index in
            let body = bodies[index]
            let header = signature.header(for: Array(body), at: LiveCalendly.wallClock())
            let reply = try await client.send("POST", host.baseURL + "/v1/webhooks/calendly",
                                              headers: [WebhookSignature.headerName: header, "Content-Type": "application/json"], body: body)
            return reply.status == 200 && reply.json["status"] as? String == "accepted"
        }
        let stored = try host.store.transaction { try $0.count(.webhookDeliveries) }
        return [
            BenchRow(key: "webhook_ingest_per_s", name: "webhook ingest", value: webhooks.perSecond, unit: "req/s",
                     detail: "\(webhooks.ok)/\(requests) accepted, \(stored) deliveries stored, \(concurrency) connections", goal: nil),
            BenchRow(key: "health_per_s", name: "bare route (GET /health)", value: health.perSecond, unit: "req/s",
                     detail: "\(health.ok)/\(requests) ok", goal: nil),
            BenchRow(key: "webhook_ratio", name: "webhook ingest / bare route", value: health.perSecond > 0 ? webhooks.perSecond / health.perSecond : 0,
                     unit: "×", detail: "same server, same client", goal: .atLeast(0.5)),
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
