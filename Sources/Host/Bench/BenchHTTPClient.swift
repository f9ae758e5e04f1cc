import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// A small HTTP client for the bench: one shared `URLSession` (keep-alive), redirects returned rather
/// than followed (the OAuth dance reads the `Location`).
final class BenchHTTPClient: Sendable {
    struct Reply: Sendable {
        var status: Int
        var body: Data
        var location: String?
        var json: [String: Any] { (try? JSONSerialization.jsonObject(with: body)) as? [String: Any] ?? [:] }
    }

    struct Failure: Error, CustomStringConvertible { var description: String }

    let session: URLSession

    init(connections: Int) {
        let configuration = URLSessionConfiguration.ephemeral
        configuration.httpMaximumConnectionsPerHost = connections
        configuration.timeoutIntervalForRequest = 30
        session = URLSession(configuration: configuration, delegate: NoRedirects(), delegateQueue: nil)
    }

    deinit { session.finishTasksAndInvalidate() }

    func send(_ method: String, _ url: String, headers: [String: String] = [:], body: Data? = nil) async throws -> Reply {
        guard let target = URL(string: url) else { throw Failure(description: "bad URL \(url)") }
        var request = URLRequest(url: target)
        request.httpMethod = method
        for (name, value) in headers { request.setValue(value, forHTTPHeaderField: name) }
        request.httpBody = body
        return try await withCheckedThrowingContinuation { continuation in
            session.dataTask(with: request) { data, response, error in
                guard let response = response as? HTTPURLResponse else {
                    continuation.resume(throwing: Failure(description: "\(method) \(target.path): \(error.map { "\($0)" } ?? "no response")"))
                    return
                }
                continuation.resume(returning: Reply(status: response.statusCode, body: data ?? Data(), location: response.value(forHTTPHeaderField: "Location")))
            }.resume()
        }
    }
}

final class NoRedirects: NSObject, URLSessionTaskDelegate, Sendable {
    func urlSession(_ session: URLSession, task: URLSessionTask, willPerformHTTPRedirection response: HTTPURLResponse,
                    newRequest request: URLRequest, completionHandler: @escaping @Sendable (URLRequest?) -> Void) {
        completionHandler(nil)
    }
}
