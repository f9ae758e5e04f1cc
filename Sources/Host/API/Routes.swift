import Core
import Crypto
import Effects
import Foundation
import HTTPTypes
import Hummingbird
import Interpreters

/// Builds the host API (openapi.json documents every route here).
public func buildRouter<Store: TransactionalStore>(_ services: HostServices<Store>) -> Router<BasicRequestContext> {
    let router = Router()
    router.add(middleware: RequestLogMiddleware())
    router.add(middleware: RequestMetricsMiddleware(metrics: services.metrics))
    OpsRoutes.add(to: router, services)
    AdminRoutes.add(to: router, services)
    RuntimeRoutes.add(to: router, services)
    WebhookRoutes.add(to: router, services)
    ConsoleRoutes.add(to: router, services)
    return router
}

enum APIResponse {
    static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }()

    static func json<T: Encodable>(_ value: T, status: HTTPResponse.Status = .ok) -> Response {
        let data = (try? encoder.encode(value)) ?? Data("{}".utf8)
        return Response(status: status, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }

    static func error(_ status: HTTPResponse.Status, _ code: String, _ message: String, field: String? = nil) -> Response {
        json(ErrorBody(error: code, message: message, field: field), status: status)
    }

    /// Unauthorized callers never learn a resource exists (PRD permission model: "not rendered").
    static let notFound = error(.notFound, "not_found", "Not found.")

    static func text(_ body: String, contentType: String = "text/plain; charset=utf-8") -> Response {
        Response(status: .ok, headers: [.contentType: contentType], body: .init(byteBuffer: ByteBuffer(string: body)))
    }
}

enum RequestBody {
    static let jsonLimit = 64 * 1024

    /// Collects at most `limit` bytes; a larger body is a 413 (HTTPError from Hummingbird).
    static func bytes(_ request: Request, limit: Int) async throws -> [UInt8] {
        let buffer = try await request.body.collect(upTo: limit)
        return Array(buffer.readableBytesView)
    }

    static func decode<T: Decodable>(_ type: T.Type, _ request: Request) async throws -> Decision<T> {
        let bytes = try await bytes(request, limit: jsonLimit)
        do {
            return .success(try JSONDecoder().decode(T.self, from: Data(bytes)))
        } catch let error as DecodingError {
            return .failure(APIResponse.error(.badRequest, "malformed_json", RequestBody.describe(error)))
        } catch {
            return .failure(APIResponse.error(.badRequest, "malformed_json", "The body is not valid JSON."))
        }
    }

    /// Says which field is wrong without echoing values (they may be personal data).
    static func describe(_ error: DecodingError) -> String {
        func path(_ context: DecodingError.Context) -> String {
            let joined = context.codingPath.map(\.stringValue).joined(separator: ".")
            return joined.isEmpty ? "body" : joined
        }
        switch error {
        case .keyNotFound(let key, let context): return "Missing field \(path(context).isEmpty ? "" : path(context) + ".")\(key.stringValue)."
        case .typeMismatch(_, let context), .valueNotFound(_, let context): return "Wrong type for \(path(context))."
        case .dataCorrupted(let context): return context.codingPath.isEmpty ? "The body is not valid JSON." : "Invalid value for \(path(context))."
        @unknown default: return "The body is not valid JSON."
        }
    }
}

extension Request {
    var authorization: String? { headers[.authorization] }
}

/// Counts requests and observes latency per route.
struct RequestMetricsMiddleware<Context: RequestContext>: RouterMiddleware {
    let metrics: Metrics
    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let clock = ContinuousClock()
        let started = clock.now
        let route = context.endpointPath ?? "unmatched"
        do {
            let response = try await next(request, context)
            record(route, request.method, response.status.code, clock.now - started)
            return response
        } catch let error as HTTPResponseError {
            record(route, request.method, error.status.code, clock.now - started)
            throw error
        } catch {
            record(route, request.method, 500, clock.now - started)
            throw error
        }
    }

    func record(_ route: String, _ method: HTTPRequest.Method, _ status: Int, _ elapsed: Duration) {
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        metrics.increment("http_requests_total", labels: ["route": route, "method": method.rawValue, "status": String(status)], help: "HTTP requests")
        metrics.observe("http_request_duration_seconds", seconds: seconds, labels: ["route": route], help: "HTTP request latency")
    }
}
