import Core
import Effects
import Foundation

/// A runtime turn over real HTTP through the host router (SQLiteStore + LiveCalendly + emulator):
/// each turn's wall time divided by the time its Calendly calls took inside `LiveCalendly` — what
/// the service adds on top of Calendly itself. Turns: the offer (availability) and the choice (booking).
/// Also the overhead in milliseconds, both as the client sees it (turn − Calendly time: includes the
/// loopback HTTP and the client) and as the server spent it (router in to response out − Calendly time).
enum TurnRatioBench {
    struct Samples {
        var turns: [Double] = [], calendly: [Double] = [], server: [Double] = [], ratios: [Double] = []
        var unexpected = 0
        /// Each turn's name, Calendly call count and server request count, for the worst turn's detail.
        var labels: [String] = [], calendlyCalls: [Int] = [], serverRequests: [Int] = []
        /// The slowest turn relative to its Calendly time: what the p99 is made of when turns are few.
        var worst: String {
            guard let index = ratios.indices.max(by: { ratios[$0] < ratios[$1] }) else { return "no turns" }
            func ms(_ seconds: Double) -> String { BenchRow.format(seconds * 1000) }
            return "worst \(labels[index]): \(ms(turns[index])) ms wall, \(ms(calendly[index])) ms in \(calendlyCalls[index]) Calendly calls, "
                + "\(ms(server[index])) ms server-side over \(serverRequests[index]) requests"
        }
        var clientOverhead: [Double] { zip(turns, calendly).map { max(0, $0 - $1) } }
        var serverOverhead: [Double] { zip(server, calendly).map { max(0, $0 - $1) } }
    }

    /// `calendlyLatencyMs` > 0 makes every emulator API call take that long, as Calendly's own do (the
    /// simulator models 20–200 ms): the ratio then says what the service adds to a real turn. With 0 the
    /// emulator answers in about a millisecond and the ratio mostly measures HTTP + SQLite against that.
    static func run(host: BenchHost, client: BenchHTTPClient, conversations: Int, calendlyLatencyMs: Int = 0) async throws -> [BenchRow] {
        let samples = try await measure(host: host, client: client, conversations: conversations, calendlyLatencyMs: calendlyLatencyMs, tag: "")
        // What any request costs on this client and server, for scale: the bare route, one at a time.
        var bare: [Double] = []
        for _ in 0..<(calendlyLatencyMs > 0 ? 0 : max(10, conversations)) {
            let clock = ContinuousClock()
            let started = clock.now
            _ = try await client.send("GET", host.baseURL + "/health")
            bare.append(BenchClock.seconds(clock.now - started))
        }
        return rows(samples, calendlyLatencyMs: calendlyLatencyMs, bare: bare)
    }

    static func measure(host: BenchHost, client: BenchHTTPClient, conversations: Int, calendlyLatencyMs: Int, tag: String) async throws -> Samples {
        func injectLatency() async {
            if calendlyLatencyMs > 0 { await host.emulator.model.inject(EmulatorFault(path: "/*", count: Int.max, delayMs: calendlyLatencyMs)) }
        }
        await injectLatency()
        let suffix = (calendlyLatencyMs > 0 ? "_calendly_\(calendlyLatencyMs)ms" : "") + tag
        let headers = ["Authorization": host.token(.runtime), "Content-Type": "application/json"]
        var samples = Samples()
        func turn(_ path: String, _ body: String, expect state: String, label: String) async throws {
            _ = host.calendly.take()
            _ = host.server.take()
            let clock = ContinuousClock()
            let started = clock.now
            let reply = try await client.send("POST", host.baseURL + path, headers: headers, body: Data(body.utf8))
            let elapsed = BenchClock.seconds(clock.now - started)
            let calendly = host.calendly.takeWithCount()
            let server = host.server.takeWithCount()
            let inCalendly = BenchClock.seconds(calendly.time)
            let inServer = BenchClock.seconds(server.spent)
            guard reply.status == 200, reply.json["state"] as? String == state, inCalendly > 0 else { samples.unexpected += 1; return }
            samples.turns.append(elapsed); samples.calendly.append(inCalendly); samples.server.append(inServer)
            samples.ratios.append(elapsed / inCalendly)
            samples.labels.append(label); samples.calendlyCalls.append(calendly.calls); samples.serverRequests.append(server.requests)
        }
        for index in 0..<conversations {
            // The emulator's week has 140 intro slots; re-seed it (tokens survive) before they run out.
            if index > 0, index % 60 == 0 {
                await host.emulator.model.reset()   // clears faults too
                await injectLatency()
            }
            let path = "/v1/conversations/bench-turn\(suffix)-\(index)/booking/"
            let offer = #"{"agentId":"agent-1","channel":"text","timeZone":"Asia/Jakarta","contact":{"contact.email":"casey\#(suffix).\#(index)@example.com","contact.name":"Casey","contact.company":"Acme"}}"#
            try await turn(path + "offer", offer, expect: "slotsShown", label: "turn \(2 * index + 1) (offer)")
            try await turn(path + "reply", #"{"text":"1"}"#, expect: "confirmed", label: "turn \(2 * index + 2) (booking)")
        }
        if calendlyLatencyMs > 0 { await host.emulator.model.clearFaults() }
        return samples
    }

    static func rows(_ samples: Samples, calendlyLatencyMs: Int, bare: [Double]) -> [BenchRow] {
        let suffix = calendlyLatencyMs > 0 ? "_calendly_\(calendlyLatencyMs)ms" : ""
        let label = calendlyLatencyMs > 0 ? " (Calendly \(calendlyLatencyMs) ms)" : " (emulator as is)"
        var detail = "\(samples.turns.count) turns" + (samples.unexpected > 0 ? ", \(samples.unexpected) ended unexpectedly" : "")
        if !bare.isEmpty { detail += "; bare GET /health p50 \(ms(bare, 0.5)) ms" }
        let judged = calendlyLatencyMs > 0
        return [
            BenchRow(key: "turn_ms_p50" + suffix, name: "runtime turn over HTTP, p50" + label, value: BenchClock.percentile(samples.turns, 0.5) * 1000, unit: "ms",
                     detail: "\(detail); Calendly calls p50 \(ms(samples.calendly, 0.5)) ms", goal: nil),
            BenchRow(key: "turn_ms_p99" + suffix, name: "runtime turn over HTTP, p99" + label, value: BenchClock.percentile(samples.turns, 0.99) * 1000, unit: "ms",
                     detail: "Calendly calls p99 \(ms(samples.calendly, 0.99)) ms", goal: nil),
            BenchRow(key: "turn_ratio_p50" + suffix, name: "turn / Calendly time, p50" + label, value: BenchClock.percentile(samples.ratios, 0.5), unit: "×",
                     detail: "each turn / its own Calendly time", goal: nil),
            BenchRow(key: "turn_ratio_p99" + suffix, name: "turn / Calendly time, p99" + label, value: BenchClock.percentile(samples.ratios, 0.99), unit: "×",
                     detail: "per-turn ratio over HTTP, SQLite WAL (intent steps fsynced); \(samples.worst)", goal: judged ? .atMost(1.03) : nil),
            BenchRow(key: "turn_overhead_server_ms_p99" + suffix, name: "turn overhead, server-side, p99" + label,
                     value: BenchClock.percentile(samples.serverOverhead, 0.99) * 1000, unit: "ms",
                     detail: "router in → response out, minus Calendly time; p50 \(ms(samples.serverOverhead, 0.5)) ms", goal: judged ? .atMost(1) : nil),
            BenchRow(key: "turn_overhead_client_ms_p99" + suffix, name: "turn overhead, client-side, p99" + label,
                     value: BenchClock.percentile(samples.clientOverhead, 0.99) * 1000, unit: "ms",
                     detail: "turn wall time minus Calendly time (adds loopback HTTP + client); p50 \(ms(samples.clientOverhead, 0.5)) ms", goal: nil),
        ]
    }

    static func ms(_ values: [Double], _ fraction: Double) -> String { BenchRow.format(BenchClock.percentile(values, fraction) * 1000) }
}
