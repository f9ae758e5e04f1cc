import Core
import Effects
import Foundation
import HTTPTypes
import Hummingbird
import Interpreters

/// S03: the AI Agent runtime offers booking and relays the customer's replies.
enum RuntimeRoutes {
    static func add<Store>(to router: Router<BasicRequestContext>, _ services: HostServices<Store>) {
        let conversations = router.group("v1/conversations/:conversationId/booking")

        conversations.post("offer") { request, context in
            try await withConversation(request, context, services) { principal, conversation in
                let offer: OfferRequest
                switch try await RequestBody.decode(OfferRequest.self, request) {
                case .success(let decoded): offer = decoded
                case .failure(let response): return response
                }
                guard let rawAgent = Gate.validID(offer.agentId) else {
                    return APIResponse.error(.unprocessableContent, "validation", "agentId must be 1–128 letters, digits, '-', '_' or '.'.", field: "agentId")
                }
                guard LocalTime.isKnownZone(offer.timeZone) else {
                    return APIResponse.error(.unprocessableContent, "validation", "timeZone must be an IANA time zone such as Asia/Jakarta.", field: "timeZone")
                }
                let agent = services.agentID(principal, rawAgent)
                // Issue 12: a saved event type older than the 15-minute cache is read again first (one call per
                // agent per 15 minutes), so a question added in Calendly since is asked rather than refused.
                // The rule is Core's (`isStale`, in the reducer); a check that finds nothing to do writes nothing.
                let connection = try services.runtime.agentState(agent).0
                let config = try await services.runtime.config(agent, .runtimeCheck(AdminRoutes.configAccount(connection), at: services.now())).0
                let readiness = BookingSetup.resolve(entitlements: Gate.entitlements(principal), connection: connection, config: config, contactFields: offer.contact ?? [:])
                let trigger = BookingConversation.Trigger(setup: readiness, channel: offer.channel, timeZone: offer.timeZone,
                                                          attribution: services.conversationReferences.reference(for: conversation))
                let result = try await services.runtime.conversation(conversation, .triggerMet(trigger, at: services.now()))
                if let rejection = result.rejections.first { return APIResponse.error(.conflict, rejection.code, rejection.message) }
                return try respond(services, conversation, result.messages)
            }
        }

        conversations.post("reply") { request, context in
            try await withConversation(request, context, services) { principal, conversation in
                let reply: ReplyRequest
                switch try await RequestBody.decode(ReplyRequest.self, request) {
                case .success(let decoded): reply = decoded
                case .failure(let response): return response
                }
                guard try services.runtime.conversationState(conversation) != nil else { return APIResponse.notFound }
                let input: BookingConversation.Input
                switch (reply.text, reply.rowId) {
                case (let text?, nil) where !text.isEmpty && text.count <= 2000: input = .customerReplied(text, at: services.now())
                case (nil, let row?) where !row.isEmpty && row.count <= 200: input = .customerChoseRow(row, at: services.now())
                default:
                    return APIResponse.error(.unprocessableContent, "validation", "Send exactly one of text (1–2000 characters) or rowId.", field: "text")
                }
                let result = try await services.runtime.conversation(conversation, input)
                return try respond(services, conversation, result.messages)
            }
        }

        // Messages produced after the request that caused them (reconciled bookings, webhook confirmations), from
        // the conversation's durable outbox: `after` is the poller's cursor, so none is missed or repeated.
        conversations.get("messages") { request, context in
            try await withConversation(request, context, services) { principal, conversation in
                let rawAfter = request.uri.queryParameters.get("after") ?? "0"
                guard rawAfter.count <= 19, rawAfter.allSatisfy(\.isASCII), let after = Int64(rawAfter), after >= 0 else {
                    return APIResponse.error(.unprocessableContent, "validation", "after must be a message sequence number (0 or more).", field: "after")
                }
                guard let (current, outbox) = try services.runtime.conversationWithOutbox(conversation, after: after) else { return APIResponse.notFound }
                return APIResponse.json(ConversationResponse(conversationId: rawID(conversation), state: current.phase.name,
                                                             messages: outbox.map { MessageDTO($0.message.content, seq: $0.seq) },
                                                             lastSeq: outbox.last?.seq ?? after))
            }
        }
    }

    static func respond<Store>(_ services: HostServices<Store>, _ conversation: ConversationID, _ messages: [ChannelMessage]) throws -> Response {
        let state = try services.runtime.conversationState(conversation)?.phase.name ?? "idle"
        return APIResponse.json(ConversationResponse(conversationId: rawID(conversation), state: state, messages: messages.map { MessageDTO($0.content) }))
    }

    /// The conversation id as the caller named it (without the account namespace).
    static func rawID(_ conversation: ConversationID) -> String { String(conversation.rawValue.drop { $0 != ":" }.dropFirst()) }

    static func withConversation<Store>(_ request: Request, _ context: BasicRequestContext, _ services: HostServices<Store>,
                                        _ body: (Principal, ConversationID) async throws -> Response) async throws -> Response {
        switch Gate.principal(request, services, .runBooking) {
        case .failure(let response): return response
        case .success(let principal):
            guard let raw = Gate.validID(context.parameters.get("conversationId")) else { return APIResponse.notFound }
            return try await body(principal, services.conversationID(principal, raw))
        }
    }
}

/// PRD §10 Behavior 5: Calendly's webhooks. The signature is verified over the raw bytes before
/// anything is parsed; only a verified, new, known notice changes state. An unverified delivery is
/// refused (401) with nothing written; a verified one that cannot be read is acknowledged (200
/// `dead_lettered`), because a 4xx makes Calendly retry it for a day and then disable the subscription.
enum WebhookRoutes {
    static func add<Store>(to router: Router<BasicRequestContext>, _ services: HostServices<Store>) {
        let unauthenticated = UnauthenticatedRequests(route: "/v1/webhooks/calendly", metrics: services.metrics, logger: services.logger)
        let accepted = APIResponse.Fixed(["status": "accepted"]), duplicate = APIResponse.Fixed(["status": "duplicate"])
        router.post("v1/webhooks/calendly") { request, _ in
            let body = try await RequestBody.bytes(request, limit: WebhookIntake.maxBodyBytes)
            let header = request.headers[HTTPField.Name(WebhookSignature.headerName)!]
            let verdict = try await services.runtime.webhook(WebhookIntake.Delivery(signatureHeader: header, body: body), signature: services.signature)
            switch verdict {
            case .accepted: return accepted.response
            case .duplicate: return duplicate.response
            case .ignored(let reason): return APIResponse.json(["status": "ignored", "reason": reason])
            case .deadLettered(let reason):
                services.metrics.increment("calendly_webhook_dead_letters_total", help: "Signed webhooks that could not be read (kept in webhook_dead_letters)")
                return APIResponse.json(["status": "dead_lettered", "reason": reason])
            case .rejected(let reason):
                // The judge's reasons are a fixed set (signature failures, body_too_large), so the label stays bounded.
                unauthenticated.record(reason: reason, at: services.now())
                switch reason {
                case "body_too_large":
                    return APIResponse.error(.contentTooLarge, reason, "The webhook body is too large.")
                default:
                    return APIResponse.error(.unauthorized, reason, "The webhook signature could not be verified.")
                }
            }
        }
    }
}

/// Health, readiness, metrics and the API document.
enum OpsRoutes {
    static func add<Store>(to router: Router<BasicRequestContext>, _ services: HostServices<Store>) {
        router.get("health") { _, _ in APIResponse.json(["status": "ok"]) }
        router.get("ready") { _, _ in
            do {
                _ = try services.runtime.agentState(AgentID("readiness-probe"))
                return APIResponse.json(["status": "ready"])
            } catch {
                return APIResponse.error(.serviceUnavailable, "not_ready", "The database is not reachable.")
            }
        }
        router.get("metrics") { _, _ in APIResponse.text(services.metrics.render(), contentType: "text/plain; version=0.0.4") }
        router.get("openapi.json") { _, _ in APIResponse.text(OpenAPIDocument.json, contentType: "application/json") }
    }
}
