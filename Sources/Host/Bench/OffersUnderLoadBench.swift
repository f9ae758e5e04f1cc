import Core
import Effects
import Foundation
import Interpreters

/// Offers under load in demo mode: wrk keeps `connections` conversations in flight, each request a new
/// conversation's `POST …/booking/offer` (the host asks the emulator for times, stores the step, answers
/// with slots). Offers per second, latency, and "nothing lost": every offer answered 2xx is counted in the
/// analytics (`offered`), read from the store after the run.
enum OffersUnderLoadBench {
    static func run(host: BenchHost, wrk: Wrk?, connections: [Int], seconds: Int, directory: String) async throws -> [BenchRow] {
        guard let wrk else { return connections.flatMap { Self.rows(connections: $0, result: nil, offered: 0, detail: Wrk.missing) } }
        let script = try WrkScripts.write(WrkScripts.offers, named: "offers.lua", in: directory)
        // The runtime token as the platform mints it (`calendly-action token` signs the same claims).
        let token = String(host.token(.runtime).dropFirst("Bearer ".count))
        var rows: [BenchRow] = []
        for count in connections {
            let before = try offeredSoFar(host)
            let result = try await wrk.run(.init(url: host.baseURL + "/health", connections: count, threads: min(2, count), seconds: seconds,
                                                 script: script, scriptArguments: ["load\(count)", "agent-1", token]))
            // Requests still in flight when wrk stops are finished by the server but not counted by wrk: let them land.
            try await Task.sleep(for: .milliseconds(500))
            let offered = try offeredSoFar(host) - before
            rows += Self.rows(connections: count, result: result, offered: offered, detail: "")
        }
        return rows
    }

    static func offeredSoFar(_ host: BenchHost) throws -> Int {
        try host.store.transaction { try $0.allAnalytics() }.days.values.reduce(0) { $0 + $1.offered }
    }

    static func rows(connections: Int, result: WrkResult?, offered: Int, detail: String) -> [BenchRow] {
        let key = "_c\(connections)"
        let answered = result?.succeeded ?? 0
        // Lost: an offer answered 2xx that the analytics never counted. Offers counted beyond the answered
        // ones are those wrk cut off at the end of its run (at most one per connection).
        let lost = max(0, answered - offered)
        func ms(_ seconds: Double?) -> String { BenchRow.format((seconds ?? 0) * 1000) }
        let text = result.map {
            "\(answered) answered 2xx of \($0.requests), \($0.non2xx) not, \($0.socketErrors) socket errors; p50 \(ms($0.p50)) ms, p99 \(ms($0.p99)) ms"
        } ?? detail
        return [
            BenchRow(key: "offers_per_s" + key, name: "offers under load, \(connections) conversations", value: result?.requestsPerSecond ?? 0, unit: "offers/s",
                     detail: text, goal: nil),
            BenchRow(key: "offers_ms_p50" + key, name: "offer latency p50, \(connections) conversations", value: (result?.p50 ?? 0) * 1000, unit: "ms",
                     detail: "wrk, demo mode (emulator as is)", goal: nil),
            BenchRow(key: "offers_ms_p99" + key, name: "offer latency p99, \(connections) conversations", value: (result?.p99 ?? 0) * 1000, unit: "ms",
                     detail: "wrk, demo mode (emulator as is)", goal: nil),
            BenchRow(key: "offers_lost" + key, name: "offers lost, \(connections) conversations", value: result == nil ? Double(Int32.max) : Double(lost), unit: "offers",
                     detail: "analytics offered \(offered) vs \(answered) answered 2xx" + (result == nil ? "; " + detail : ""), goal: .atMost(0)),
        ]
    }
}
