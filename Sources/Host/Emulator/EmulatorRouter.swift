import Foundation
import HTTPTypes
import Hummingbird
import Interpreters

/// Calendly's paths, served from an `EmulatorModel`. Admin hooks and the consent page come first and
/// are never faulted; everything added after the fault middleware can be.
public func buildEmulatorRouter(model: EmulatorModel) -> Router<BasicRequestContext> {
    let router = Router()
    // First, so it also wraps the router's own "no such route" answer.
    router.add(middleware: EmulatorNotFoundMiddleware())

    router.get("/_emulator/state") { _, _ in EmulatorHTTP.response(await model.adminState()) }
    router.post("/_emulator/reset") { request, context in try await EmulatorHTTP.serve(request, context) { await model.adminReset($0) } }
    router.post("/_emulator/tokens") { request, context in try await EmulatorHTTP.serve(request, context) { await model.adminIssueTokens($0) } }
    router.post("/_emulator/tokens/expire") { request, context in try await EmulatorHTTP.serve(request, context) { await model.adminExpireTokens($0) } }
    router.post("/_emulator/tokens/revoke") { request, context in try await EmulatorHTTP.serve(request, context) { await model.adminRevokeGrants($0) } }
    router.post("/_emulator/tokens/lifetime") { request, context in try await EmulatorHTTP.serve(request, context) { await model.adminTokenLifetime($0) } }
    router.post("/_emulator/clock") { request, context in try await EmulatorHTTP.serve(request, context) { await model.adminClock($0) } }
    router.post("/_emulator/slots/take") { request, context in try await EmulatorHTTP.serve(request, context) { await model.adminTakeSlot($0) } }
    router.post("/_emulator/bookings/cancel") { request, context in try await EmulatorHTTP.serve(request, context) { await model.adminCancel($0) } }
    router.post("/_emulator/quota") { request, context in try await EmulatorHTTP.serve(request, context) { await model.adminQuota($0) } }
    router.post("/_emulator/bookings/reschedule") { request, context in try await EmulatorHTTP.serve(request, context) { await model.adminReschedule($0) } }
    router.post("/_emulator/faults") { request, context in try await EmulatorHTTP.serve(request, context) { await model.adminInjectFault($0) } }
    router.delete("/_emulator/faults") { _, _ in EmulatorHTTP.response(await model.adminClearFaults()) }
    router.post("/_emulator/account") { request, context in try await EmulatorHTTP.serve(request, context) { await model.adminAccount($0) } }
    router.get("/oauth/authorize") { request, context in try await EmulatorHTTP.serve(request, context) { await model.authorize($0) } }

    router.add(middleware: EmulatorRateLimitMiddleware(model: model))
    router.add(middleware: EmulatorFaultMiddleware(model: model))

    router.post("/oauth/token") { request, context in try await EmulatorHTTP.serve(request, context) { await model.token($0) } }
    router.post("/oauth/revoke") { request, context in try await EmulatorHTTP.serve(request, context) { await model.revoke($0) } }
    router.post("/oauth/introspect") { request, context in try await EmulatorHTTP.serve(request, context) { await model.introspect($0) } }
    router.get("/organizations/:uuid") { request, context in
        let uuid = context.parameters.get("uuid") ?? ""
        return try await EmulatorHTTP.serve(request, context) { await model.getOrganization($0, uuid: uuid) }
    }
    router.get("/organization_memberships") { request, context in try await EmulatorHTTP.serve(request, context) { await model.listMemberships($0) } }
    router.get("/organization_memberships/:uuid") { request, context in
        let uuid = context.parameters.get("uuid") ?? ""
        return try await EmulatorHTTP.serve(request, context) { await model.getMembership($0, uuid: uuid) }
    }
    router.get("/user_busy_times") { request, context in try await EmulatorHTTP.serve(request, context) { await model.userBusyTimes($0) } }
    router.get("/user_availability_schedules") { request, context in
        try await EmulatorHTTP.serve(request, context) { await model.listAvailabilitySchedules($0) }
    }
    router.get("/user_availability_schedules/:uuid") { request, context in
        let uuid = context.parameters.get("uuid") ?? ""
        return try await EmulatorHTTP.serve(request, context) { await model.getAvailabilitySchedule($0, uuid: uuid) }
    }
    router.post("/scheduling_links") { request, context in try await EmulatorHTTP.serve(request, context) { await model.createSchedulingLink($0) } }
    router.get("/users/:uuid") { request, context in
        let uuid = context.parameters.get("uuid") ?? ""
        return try await EmulatorHTTP.serve(request, context) { await model.currentUser($0, uuid: uuid) }
    }
    router.get("/event_types") { request, context in try await EmulatorHTTP.serve(request, context) { await model.listEventTypes($0) } }
    router.get("/event_types/:uuid") { request, context in
        let uuid = context.parameters.get("uuid") ?? ""
        return try await EmulatorHTTP.serve(request, context) { await model.getEventType($0, uuid: uuid) }
    }
    router.get("/event_type_available_times") { request, context in try await EmulatorHTTP.serve(request, context) { await model.availableTimes($0) } }
    router.post("/invitees") { request, context in try await EmulatorHTTP.serve(request, context) { await model.createInvitee($0) } }
    router.get("/scheduled_events") { request, context in try await EmulatorHTTP.serve(request, context) { await model.listScheduledEvents($0) } }
    router.get("/scheduled_events/:uuid") { request, context in
        let uuid = context.parameters.get("uuid") ?? ""
        return try await EmulatorHTTP.serve(request, context) { await model.getScheduledEvent($0, uuid: uuid) }
    }
    router.get("/scheduled_events/:uuid/invitees") { request, context in
        let uuid = context.parameters.get("uuid") ?? ""
        return try await EmulatorHTTP.serve(request, context) { await model.listInvitees($0, event: uuid) }
    }
    router.get("/scheduled_events/:uuid/invitees/:invitee") { request, context in
        let uuid = context.parameters.get("uuid") ?? "", invitee = context.parameters.get("invitee") ?? ""
        return try await EmulatorHTTP.serve(request, context) { await model.getInvitee($0, event: uuid, invitee: invitee) }
    }
    router.post("/scheduled_events/:uuid/cancellation") { request, context in
        let uuid = context.parameters.get("uuid") ?? ""
        return try await EmulatorHTTP.serve(request, context) { await model.cancelEvent($0, uuid: uuid) }
    }
    router.post("/webhook_subscriptions") { request, context in try await EmulatorHTTP.serve(request, context) { await model.createSubscription($0) } }
    router.get("/webhook_subscriptions") { request, context in try await EmulatorHTTP.serve(request, context) { await model.listSubscriptions($0) } }
    router.get("/webhook_subscriptions/:uuid") { request, context in
        let uuid = context.parameters.get("uuid") ?? ""
        return try await EmulatorHTTP.serve(request, context) { await model.getSubscription($0, uuid: uuid) }
    }
    router.delete("/webhook_subscriptions/:uuid") { request, context in
        let uuid = context.parameters.get("uuid") ?? ""
        return try await EmulatorHTTP.serve(request, context) { await model.deleteSubscription($0, uuid: uuid) }
    }
    return router
}

/// Calendly answers a path it does not serve with its JSON error body (`{title, message}`, 404), not an
/// empty page: clients that read `title`/`message` (PyCalendly, kashew's SDK) then report it properly.
struct EmulatorNotFoundMiddleware: RouterMiddleware {
    typealias Context = BasicRequestContext

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as HTTPError where error.status == .notFound {
            return EmulatorHTTP.response(.notFound)
        }
    }
}

/// Applies `EmulatorFault`s: scripted ones from `/_emulator/faults`, else the seeded profile's.
struct EmulatorFaultMiddleware: RouterMiddleware {
    typealias Context = BasicRequestContext
    let model: EmulatorModel

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard let fault = await model.takeFault(method: request.method.rawValue, path: request.uri.path) else {
            return try await next(request, context)
        }
        if fault.afterCommit {
            let committed = try await next(request, context)
            if fault.delayMs > 0 { try? await Task.sleep(for: .milliseconds(fault.delayMs)) }
            if fault.close { return EmulatorHTTP.droppedConnection() }
            return fault.replacesReply ? EmulatorHTTP.response(fault.reply) : committed
        }
        if fault.delayMs > 0 { try? await Task.sleep(for: .milliseconds(fault.delayMs)) }
        if fault.close { return EmulatorHTTP.droppedConnection() }
        return fault.replacesReply ? EmulatorHTTP.response(fault.reply) : try await next(request, context)
    }
}

enum EmulatorHTTP {
    static let maxBodyBytes = 1 << 20

    struct ConnectionDropped: Error {}

    static func serve(_ request: Request, _ context: BasicRequestContext,
                      _ handle: @Sendable (EmulatorRequest) async -> EmulatorReply) async throws -> Response {
        response(await handle(try await decode(request)))
    }

    static func decode(_ request: Request) async throws -> EmulatorRequest {
        let buffer = try await request.body.collect(upTo: maxBodyBytes)
        var headers: [String: String] = [:]
        for field in request.headers { headers[field.name.canonicalName] = headers[field.name.canonicalName].map { $0 + ", " + field.value } ?? field.value }
        var query: [String: String] = [:]
        for (key, value) in request.uri.queryParameters where query[String(key)] == nil { query[String(key)] = String(value) }
        let body = Array(buffer.readableBytesView)
        var decoded = EmulatorRequest(method: request.method.rawValue, path: request.uri.path, query: query, headers: headers, body: body)
        if request.method == .get, let object = decoded.jsonObject {
            for (key, value) in object where decoded.query[key] == nil {
                if let text = value as? String { decoded.query[key] = text } else if let number = value as? NSNumber { decoded.query[key] = number.stringValue }
            }
        }
        return decoded
    }

    static func response(_ reply: EmulatorReply) -> Response {
        var headers = HTTPFields()
        for (name, value) in reply.headers {
            if let field = HTTPField.Name(name) { headers.append(HTTPField(name: field, value: value)) }
        }
        return Response(status: HTTPResponse.Status(code: reply.status), headers: headers,
                        body: ResponseBody(byteBuffer: ByteBuffer(bytes: reply.body)))
    }

    /// Promises a body, sends a piece, then fails the write so the server drops the connection: the
    /// client sees a reply cut off mid-way (a lost response after the request took effect).
    static func droppedConnection() -> Response {
        Response(status: .ok, headers: [.contentType: "application/json"],
                 body: ResponseBody(contentLength: 4096) { writer in
                     try await writer.write(ByteBuffer(string: #"{"resource":{"uri":"#))
                     throw ConnectionDropped()
                 })
    }
}
