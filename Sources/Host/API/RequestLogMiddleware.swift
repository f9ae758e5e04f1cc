import HTTPTypes
import Hummingbird
import Logging

/// One structured log line per request with its id (echoed as `X-Request-Id`). Only the path is
/// logged: query strings carry OAuth codes and states.
struct RequestLogMiddleware<Context: RequestContext>: RouterMiddleware {
    static var requestIDField: HTTPField.Name { HTTPField.Name("X-Request-Id")! }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let clock = ContinuousClock()
        let started = clock.now
        let id = context.id
        func log(_ status: Int) {
            let elapsed = clock.now - started
            let milliseconds = Double(elapsed.components.seconds) * 1000 + Double(elapsed.components.attoseconds) / 1e15
            context.logger.info("request", metadata: [
                "request_id": "\(id)", "method": "\(request.method.rawValue)", "path": "\(request.uri.path)",
                "status": "\(status)", "duration_ms": "\((milliseconds * 10).rounded() / 10)",
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
