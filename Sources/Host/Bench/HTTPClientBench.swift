import Foundation

/// The outgoing HTTP client itself (`CurlHTTPClient`, through the bench's client) in requests per
/// second against the bare route (`GET /health`) over loopback: one call at a time, then 32 in flight.
/// The server's own cost is in the figure; the point is that the client does not cap it (the
/// Foundation client it replaced managed ≈1.3k req/s sequential and 2–2.5k with 32 tasks here).
enum HTTPClientBench {
    static func run(host: BenchHost, requests: Int) async throws -> [BenchRow] {
        var rows: [BenchRow] = []
        for concurrency in [1, 32] {
            let client = BenchHTTPClient(connections: concurrency)
            let result = try await WebhookIngestBench.rate(requests: requests, concurrency: concurrency) { _ in
                try await client.send("GET", host.baseURL + "/health").status == 200
            }
            rows.append(BenchRow(key: "http_client_per_s_\(concurrency)", name: "HTTP client (libcurl), \(concurrency) in flight",
                                 value: result.perSecond, unit: "req/s", detail: "\(result.ok)/\(requests) ok, GET /health over loopback", goal: nil))
        }
        return rows
    }
}
