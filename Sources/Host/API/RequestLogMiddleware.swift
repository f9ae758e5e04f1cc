import HTTPTypes
import Hummingbird
import Logging

/// One structured log line per request with its id (echoed as `X-Request-Id`). Only the path is
/// logged: query strings carry OAuth codes and states.
struct RequestLogMiddleware<Context: RequestContext>: RouterMiddleware {
    static var requestIDField: HTTPField.Name { HTTPField.Name("X-Request-Id")! }

    /// "12.3": a duration in milliseconds rounded to a tenth, as `Double` printed it ("0.0", "7.0", "1234.5").
    static func tenthsOfMilliseconds(_ elapsed: Duration) -> String {
        let (seconds, attoseconds) = elapsed.components
        let tenths = max(0, seconds) * 10_000 + (max(0, attoseconds) + 50_000_000_000_000) / 100_000_000_000_000
        return "\(tenths / 10).\(tenths % 10)"
    }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let clock = ContinuousClock()
        let started = clock.now
        let id = context.id
        func log(_ status: Int) {
            // Metadata is only built when info is logged (an autoclosure), with no Double formatting on the way.
            context.logger.info("request", metadata: [
                "request_id": .string(id), "method": .string(request.method.rawValue), "path": .string(request.uri.path),
                "status": .string(String(status)), "duration_ms": .string(Self.tenthsOfMilliseconds(clock.now - started)),
            ])
        }
        do {
            var response = try await next(request, context)
            response.headers[Self.requestIDField] = id
            log(Int(response.status.code))
            return response
        } catch let error as HTTPResponseError {
            log(Int(error.status.code))
            throw error
        } catch where ClientClosedRequest.isClientAbort(error) {
            log(ClientClosedRequest.status.code)
            throw ClientClosedRequest()
        } catch {
            log(500)
            throw error
        }
    }
}
