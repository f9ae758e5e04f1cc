import Core
import Crypto
import Effects
import Foundation
import HTTPTypes
import Hummingbird
import Interpreters

/// Builds the host API (openapi.json documents every route here).
/// Every GET route answers HEAD (without a body); unknown paths and methods get JSON 404/405.
public func buildRouter<Store: TransactionalStore>(_ services: HostServices<Store>) -> Router<BasicRequestContext> {
    let router = Router(options: .autoGenerateHeadEndpoints)
    let known = KnownRoutes()
    router.add(middleware: RequestLogMiddleware())
    router.add(middleware: RequestMetricsMiddleware(metrics: services.metrics))
    router.add(middleware: UnmatchedRouteMiddleware(routes: known))
    OpsRoutes.add(to: router, services)
    AdminRoutes.add(to: router, services)
    RuntimeRoutes.add(to: router, services)
    WebhookRoutes.add(to: router, services)
    ConsoleRoutes.add(to: router, services)
    known.register(router.routes.map { (path: $0.path.description, method: $0.method.rawValue) })
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

    /// A body that never changes, encoded once (`json` runs a JSONEncoder per response): for the
    /// webhook route's answers, which come thousands of times a second under Calendly's retries.
    struct Fixed: Sendable {
        let bytes: [UInt8]
        init<T: Encodable>(_ value: T) { bytes = Array((try? APIResponse.encoder.encode(value)) ?? Data("{}".utf8)) }
        var response: Response { Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(bytes: bytes))) }
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

    /// Collects at most `limit` bytes; a larger body is a 413 (HTTPError from Hummingbird). Fewer
    /// bytes than the declared Content-Length means the client hung up: a 499, not a parse error.
    static func bytes(_ request: Request, limit: Int) async throws -> [UInt8] {
        let buffer: ByteBuffer
        do {
            buffer = try await request.body.collect(upTo: limit)
        } catch where ClientClosedRequest.isClientAbort(error) {
            throw ClientClosedRequest()
        }
        if let declared = request.headers[.contentLength].flatMap({ Int($0) }), buffer.readableBytes < declared { throw ClientClosedRequest() }
        return Array(buffer.readableBytesView)
    }

    /// A JSON route reads only JSON: a declared content type other than application/json (or a
    /// `+json` type) is 415. A body without a content type is read as JSON, as before.
    static func isJSON(_ request: Request) -> Bool {
        guard let declared = request.headers[.contentType] else { return true }
        let mediaType = declared.split(separator: ";", maxSplits: 1).first.map { $0.trimmingCharacters(in: .whitespaces).lowercased() } ?? ""
        return mediaType == "application/json" || (mediaType.hasPrefix("application/") && mediaType.hasSuffix("+json"))
    }

    static func decode<T: Decodable>(_ type: T.Type, _ request: Request) async throws -> Decision<T> {
        guard isJSON(request) else {
            return .failure(APIResponse.error(.unsupportedMediaType, "unsupported_media_type", "The body must be application/json."))
        }
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
        } catch where ClientClosedRequest.isClientAbort(error) {
            record(route, request.method, ClientClosedRequest.status.code, clock.now - started)
            throw ClientClosedRequest()
        } catch {
            record(route, request.method, 500, clock.now - started)
            throw error
        }
    }

    /// Any token is a valid HTTP method, so a stranger could mint one label value per request (issue 10):
    /// methods outside the standard set are counted as "other".
    static func methodLabel(_ method: HTTPRequest.Method) -> String {
        let known: Set<HTTPRequest.Method> = [.get, .head, .post, .put, .delete, .patch, .options, .connect, .trace]
        return known.contains(method) ? method.rawValue : "other"
    }

    func record(_ route: String, _ method: HTTPRequest.Method, _ status: Int, _ elapsed: Duration) {
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        metrics.increment("http_requests_total", labels: ["route": route, "method": Self.methodLabel(method), "status": String(status)], help: "HTTP requests")
        metrics.observe("http_request_duration_seconds", seconds: seconds, labels: ["route": route], help: "HTTP request latency")
    }
}
