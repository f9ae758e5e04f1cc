import Core
import Effects
import Foundation

/// A runtime turn over real HTTP through the host router (SQLiteStore + LiveCalendly + emulator):
/// each turn's wall time divided by the time its Calendly calls took inside `LiveCalendly` — what
/// the service adds on top of Calendly itself. Turns: the offer (availability) and the choice (booking).
enum TurnRatioBench {
    /// `calendlyLatencyMs` > 0 makes every emulator API call take that long, as Calendly's own do (the
    /// simulator models 20–200 ms): the ratio then says what the service adds to a real turn. With 0 the
    /// emulator answers in about a millisecond and the ratio mostly measures HTTP + SQLite against that.
    static func run(host: BenchHost, client: BenchHTTPClient, conversations: Int, calendlyLatencyMs: Int = 0) async throws -> [BenchRow] {
        func injectLatency() async {
            if calendlyLatencyMs > 0 { await host.emulator.model.inject(EmulatorFault(path: "/*", count: Int.max, delayMs: calendlyLatencyMs)) }
        }
        await injectLatency()
        let suffix = calendlyLatencyMs > 0 ? "_calendly_\(calendlyLatencyMs)ms" : ""
        let label = calendlyLatencyMs > 0 ? " (Calendly \(calendlyLatencyMs) ms)" : " (emulator as is)"
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
            if index > 0, index % 60 == 0 {
                await host.emulator.model.reset()   // clears faults too
                await injectLatency()
            }
            let path = "/v1/conversations/bench-turn\(suffix)-\(index)/booking/"
            let offer = #"{"agentId":"agent-1","channel":"text","timeZone":"Asia/Jakarta","contact":{"contact.email":"casey\#(suffix).\#(index)@example.com","contact.name":"Casey","contact.company":"Acme"}}"#
            try await turn(path + "offer", offer, expect: "slotsShown")
            try await turn(path + "reply", #"{"text":"1"}"#, expect: "confirmed")
        }
        if calendlyLatencyMs > 0 { await host.emulator.model.clearFaults() }
        // What any request costs on this client and server, for scale: the bare route, one at a time.
        var bare: [Double] = []
        for _ in 0..<(calendlyLatencyMs > 0 ? 0 : max(10, conversations)) {
            let clock = ContinuousClock()
            let started = clock.now
            _ = try await client.send("GET", host.baseURL + "/health")
            bare.append(BenchClock.seconds(clock.now - started))
        }
        var detail = "\(turns.count) turns" + (unexpected > 0 ? ", \(unexpected) ended unexpectedly" : "")
        if !bare.isEmpty { detail += "; bare GET /health p50 \(ms(bare, 0.5)) ms" }
        return [
            BenchRow(key: "turn_ms_p50" + suffix, name: "runtime turn over HTTP, p50" + label, value: BenchClock.percentile(turns, 0.5) * 1000, unit: "ms",
                     detail: "\(detail); Calendly calls p50 \(ms(calendly, 0.5)) ms", goal: nil),
            BenchRow(key: "turn_ms_p99" + suffix, name: "runtime turn over HTTP, p99" + label, value: BenchClock.percentile(turns, 0.99) * 1000, unit: "ms",
                     detail: "Calendly calls p99 \(ms(calendly, 0.99)) ms", goal: nil),
            BenchRow(key: "turn_ratio_p50" + suffix, name: "turn / Calendly time, p50" + label, value: BenchClock.percentile(ratios, 0.5), unit: "×",
                     detail: "each turn / its own Calendly time", goal: nil),
            BenchRow(key: "turn_ratio_p99" + suffix, name: "turn / Calendly time, p99" + label, value: BenchClock.percentile(ratios, 0.99), unit: "×",
                     detail: "per-turn ratio over HTTP, SQLite WAL (intent steps fsynced)", goal: calendlyLatencyMs > 0 ? .atMost(1.05) : nil),
        ]
    }

    static func ms(_ values: [Double], _ fraction: Double) -> String { BenchRow.format(BenchClock.percentile(values, fraction) * 1000) }
}
