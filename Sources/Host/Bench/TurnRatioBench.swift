import Core
import Effects
import Foundation

/// A runtime turn over real HTTP through the host router (SQLiteStore + LiveCalendly + emulator):
/// each turn's wall time divided by the time its Calendly calls took inside `LiveCalendly` — what
/// the service adds on top of Calendly itself. Turns: the offer (availability) and the choice (booking).
enum TurnRatioBench {
    static func run(host: BenchHost, client: BenchHTTPClient, conversations: Int) async throws -> [BenchRow] {
        let headers = ["Authorization": host.token(.runtime), "Content-Type": "application/json"]
        var ratios: [Double] = [], turns: [Double] = [], calendly: [Double] = []
        var unexpected = 0
        func turn(_ path: String, _ body: String, expect state: String) async throws {
            _ = host.calendly.take()
            var reply: BenchHTTPClient.Reply?
            let clock = ContinuousClock()
            let started = clock.now
            reply = try await client.send("POST", host.baseURL + path, headers: headers, body: Data(body.utf8))
            let elapsed = BenchClock.seconds(clock.now - started)
            let inCalendly = BenchClock.seconds(host.calendly.take())
            guard reply?.status == 200, reply?.json["state"] as? String == state, inCalendly > 0 else { unexpected += 1; return }
            turns.append(elapsed); calendly.append(inCalendly); ratios.append(elapsed / inCalendly)
        }
        for index in 0..<conversations {
            // The emulator's week has 140 intro slots; re-seed it (tokens survive) before they run out.
            if index > 0, index % 60 == 0 { await host.emulator.model.reset() }
            let path = "/v1/conversations/bench-turn-\(index)/booking/"
            let offer = #"{"agentId":"agent-1","channel":"text","timeZone":"Asia/Jakarta","contact":{"contact.email":"casey.\#(index)@example.com","contact.name":"Casey","contact.company":"Acme"}}"#
            try await turn(path + "offer", offer, expect: "slotsShown")
            try await turn(path + "reply", #"{"text":"1"}"#, expect: "confirmed")
        }
        // What any request costs on this client and server, for scale: the bare route, one at a time.
        var bare: [Double] = []
        for _ in 0..<max(10, conversations) {
            let clock = ContinuousClock()
            let started = clock.now
            _ = try await client.send("GET", host.baseURL + "/health")
            bare.append(BenchClock.seconds(clock.now - started))
        }
        let detail = "\(turns.count) turns" + (unexpected > 0 ? ", \(unexpected) ended unexpectedly" : "") + "; bare GET /health p50 \(ms(bare, 0.5)) ms"
        return [
            BenchRow(key: "turn_ms_p50", name: "runtime turn over HTTP, p50", value: BenchClock.percentile(turns, 0.5) * 1000, unit: "ms",
                     detail: "\(detail); Calendly calls p50 \(ms(calendly, 0.5)) ms", goal: nil),
            BenchRow(key: "turn_ms_p99", name: "runtime turn over HTTP, p99", value: BenchClock.percentile(turns, 0.99) * 1000, unit: "ms",
                     detail: "Calendly calls p99 \(ms(calendly, 0.99)) ms", goal: nil),
            BenchRow(key: "turn_ratio_p50", name: "runtime turn / Calendly time, p50", value: BenchClock.percentile(ratios, 0.5), unit: "×",
                     detail: "each turn / its own Calendly time", goal: nil),
            BenchRow(key: "turn_ratio_p99", name: "runtime turn / Calendly time, p99", value: BenchClock.percentile(ratios, 0.99), unit: "×",
                     detail: "per-turn ratio over HTTP, SQLite synchronous=FULL", goal: .atMost(1.05)),
        ]
    }

    static func ms(_ values: [Double], _ fraction: Double) -> String { BenchRow.format(BenchClock.percentile(values, fraction) * 1000) }
}
