import HTTPTypes
import Hummingbird
import NIOCore
import NIOHTTP1
import Synchronization

/// What a request that matched no route gets (issue 10 item 7): a known path with another method is
/// 405 with `Allow`, anything else a JSON 404 — never Hummingbird's empty 404. The table is filled once
/// the routes are registered (`buildRouter`), so it always names exactly what is served.
final class KnownRoutes: Sendable {
    private let table = Mutex<[(segments: [String], methods: Set<String>)]>([])

    /// `routes` as Hummingbird lists them: "/v1/agents/{agentId}/calendly" style paths.
    func register(_ routes: [(path: String, method: String)]) {
        var byPath: [String: Set<String>] = [:]
        for route in routes { byPath[route.path, default: []].insert(route.method) }
        // A GET route answers HEAD too (the router generates it).
        let rows = byPath.map { path, methods in
            (segments: Self.segments(path), methods: methods.contains("GET") ? methods.union(["HEAD"]) : methods)
        }
        table.withLock { $0 = rows }
    }

    /// The methods served at `path`, or nil when no route has that shape. Like the router, a literal
    /// segment wins over a capture (`/console/demo-session` is not `/console/{file}`).
    func methods(at path: String) -> Set<String>? {
        let parts = Self.segments(path)
        let matching = table.withLock { rows in
            rows.filter { row in
                row.segments.count == parts.count && zip(row.segments, parts).allSatisfy { pattern, part in
                    Self.isCapture(pattern) ? !part.isEmpty : pattern == part
                }
            }
        }
        func literals(_ segments: [String]) -> [Bool] { segments.map { !Self.isCapture($0) } }
        guard let best = matching.map({ literals($0.segments) }).max(by: { $0.lexicographicallyPrecedes($1) { !$0 && $1 } }) else { return nil }
        return matching.filter { literals($0.segments) == best }.reduce(into: Set<String>()) { $0.formUnion($1.methods) }
    }

    static func segments(_ path: String) -> [String] { path.split(separator: "/", omittingEmptySubsequences: true).map(String.init) }
    static func isCapture(_ segment: String) -> Bool { segment.hasPrefix(":") || (segment.hasPrefix("{") && segment.hasSuffix("}")) }
}

struct UnmatchedRouteMiddleware<Context: RequestContext>: RouterMiddleware {
    let routes: KnownRoutes

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as HTTPError where error.status == .notFound {
            let response: Response
            if let methods = routes.methods(at: request.uri.path), !methods.contains(request.method.rawValue) {
                var refused = APIResponse.error(.methodNotAllowed, "method_not_allowed", "This path does not accept that method.")
                refused.headers[.allow] = methods.sorted().joined(separator: ", ")
                response = refused
            } else {
                // Same code as a hidden resource; the message tells an operator it was the path itself.
                response = APIResponse.error(.notFound, "not_found", "No such path.")
            }
            // A HEAD answer never has a body (the client would read it as the next response).
            return request.method == .head ? response.createHeadResponse() : response
        }
    }
}

/// A client that hung up before sending the body it announced (fewer bytes than its Content-Length,
/// or a connection closed mid-request). Its status is 499 in logs and metrics — nginx's "client
/// closed request" — so it never counts as a server error and never trips the 5xx alert.
struct ClientClosedRequest: HTTPResponseError {
    static let status = HTTPResponse.Status(code: 499, reasonPhrase: "Client Closed Request")
    var status: HTTPResponse.Status { Self.status }
    func response(from request: Request, context: some RequestContext) throws -> Response {
        Response(status: status, headers: [.connection: "close"])
    }

    /// The connection-level failures a request can end in because of the client, not of us.
    static func isClientAbort(_ error: any Error) -> Bool {
        switch error {
        case is ClientClosedRequest, is HTTPParserError, is ChannelError, is IOError: return true
        default: return false
        }
    }
}
