import Foundation
import Interpreters

/// A small HTTP client for the bench, on the product's own `CurlHTTPClient` (keep-alive, one curl
/// thread), so the figures it reports are not capped by a slower client. Redirects are returned
/// rather than followed (the OAuth dance reads the `Location`).
final class BenchHTTPClient: Sendable {
    struct Reply: Sendable {
        var status: Int
        var body: Data
        var location: String?
        var json: [String: Any] { (try? JSONSerialization.jsonObject(with: body)) as? [String: Any] ?? [:] }
    }

    struct Failure: Error, CustomStringConvertible { var description: String }

    let http: CurlHTTPClient

    /// `connections` is how many requests the bench keeps in flight; libcurl's idle pool keeps that
    /// many connections open between them.
    init(connections: Int) {
        http = CurlHTTPClient(name: "bench-curl", maxIdleConnections: max(4, connections))
    }

    deinit { http.shutdown() }

    func send(_ method: String, _ url: String, headers: [String: String] = [:], body: Data? = nil) async throws -> Reply {
        let request = HTTPRequest(method, url, headers: headers.map { ($0.key, $0.value) }, body: body.map { Array($0) },
                                  timeout: .seconds(30), maxBodyBytes: 64 * 1024 * 1024)
        switch await http.send(request) {
        case .success(let response):
            return Reply(status: response.status, body: Data(response.body), location: response.header("location"))
        case .failure(let failure):
            throw Failure(description: "\(method) \(url): \(failure)")
        }
    }
}
