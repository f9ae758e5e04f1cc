import Core
import Crypto
import Effects
import Foundation
import Hummingbird
import Interpreters

/// S01, S02, S04: connect, event types, action config, analytics — for admins (analytics: + supervisors).
enum AdminRoutes {
    static func add<Store>(to router: Router<BasicRequestContext>, _ services: HostServices<Store>) {
        let agents = router.group("v1/agents/:agentId/calendly")

        agents.get { request, context in
            try await withAgent(request, context, services, .configure) { principal, agent in
                let (connection, config) = try services.runtime.agentState(agent)
                let query = request.uri.queryParameters.get("q") ?? ""
                return APIResponse.json(view(connection, config, entitlements: Gate.entitlements(principal), query: query))
            }
        }

        agents.post("connect") { request, context in
            try await withAgent(request, context, services, .configure) { principal, agent in
                let state = OAuthStateCodec.encode(agent: agent, nonce: services.newSecret())
                let verifier = CalendlyPKCE.makeVerifier()
                try await services.verifiers.saveVerifier(state: state.rawValue, verifier: verifier, at: services.now())
                let (connection, _) = try await services.runtime.connection(agent, .connectRequested(state, webhookURL: services.configuration.webhookURL,
                                                                                                  at: services.now()))
                let url = LiveCalendly.authorizeURL(authBase: services.configuration.calendlyAuthBase, clientID: services.clientID,
                                                    redirectURI: services.configuration.redirectURI, state: state.rawValue,
                                                    codeChallenge: CalendlyPKCE.challenge(for: verifier), scopes: Connection.requiredScopes)
                _ = connection
                return APIResponse.json(ConnectResponse(authorizeUrl: url.absoluteString))
            }
        }

        agents.delete("connection") { request, context in
            try await withAgent(request, context, services, .configure) { principal, agent in
                let connection = try await services.runtime.disconnect(agent)
                return APIResponse.json(ConnectionView(connection))
            }
        }

        agents.get("event-types") { request, context in
            try await withAgent(request, context, services, .configure) { principal, agent in
                let (connection, _) = try services.runtime.agentState(agent)
                let account = configAccount(connection)
                let refresh = request.uri.queryParameters.get("refresh") == "true"
                let input: ActionConfig.Input = refresh ? .refreshRequested(account, at: services.now()) : .opened(account, at: services.now())
                let (config, rejections) = try await services.runtime.config(agent, input)
                if let rejection = rejections.first { return APIResponse.error(.conflict, rejection.code, rejection.message) }
                return APIResponse.json(EventTypeListView(config, query: request.uri.queryParameters.get("q") ?? ""))
            }
        }

        agents.put("action") { request, context in
            try await withAgent(request, context, services, .configure) { principal, agent in
                let draft: ActionDraft
                switch try await RequestBody.decode(ActionDraft.self, request) {
                case .success(let decoded): draft = decoded
                case .failure(let response): return response
                }
                let (connection, _) = try services.runtime.agentState(agent)
                let (config, rejections) = try await services.runtime.config(agent, .saveRequested(draft, configAccount(connection), at: services.now()))
                if let rejection = rejections.first {
                    switch rejection.code {
                    case "validation": return APIResponse.error(.unprocessableContent, "validation", rejection.message, field: rejection.field)
                    case "not_connected": return APIResponse.error(.conflict, rejection.code, rejection.message)
                    default: return APIResponse.error(.serviceUnavailable, rejection.code, rejection.message)
                    }
                }
                guard let saved = config.saved else { return APIResponse.error(.serviceUnavailable, "not_saved", "The action was not saved. Try again.") }
                let blocker = BookingSetup.notRunnableReason(entitlements: Gate.entitlements(principal), connection: connection, config: config)
                return APIResponse.json(ActionView(saved, notRunnable: blocker))
            }
        }

        agents.get("analytics") { request, context in
            try await withAgent(request, context, services, .viewAnalytics) { principal, agent in
                let parameters = request.uri.queryParameters
                guard let from = parameters.get("from").flatMap(CivilDate.init(iso:)) else {
                    return APIResponse.error(.badRequest, "invalid_parameter", "from must be a date like 2026-11-01.", field: "from")
                }
                guard let to = parameters.get("to").flatMap(CivilDate.init(iso:)) else {
                    return APIResponse.error(.badRequest, "invalid_parameter", "to must be a date like 2026-11-30.", field: "to")
                }
                let analytics = try services.runtime.store.transaction { tx in try tx.analytics(agent: agent, from: from, to: to) }
                switch analytics.report(agent: agent, from: from, to: to) {
                case .success(let report): return APIResponse.json(AnalyticsView(report))
                case .failure(.invertedRange): return APIResponse.error(.badRequest, "invalid_range", "from must not be after to.", field: "from")
                case .failure(.rangeTooLong(let days)): return APIResponse.error(.badRequest, "invalid_range", "The range can be at most \(days) days.", field: "to")
                }
            }
        }

        // The OAuth redirect from Calendly: no platform token (it is a browser redirect); the state is the proof.
        let unauthenticated = UnauthenticatedRequests(route: "/v1/oauth/calendly/callback", metrics: services.metrics, logger: services.logger)
        router.get("v1/oauth/calendly/callback") { request, _ in
            let parameters = request.uri.queryParameters
            // The reducer refuses a state its agent is not waiting for; the engine writes nothing for a step
            // that only refuses, so a forged request leaves no row (issue 10).
            guard let raw = parameters.get("state"), let (state, agent) = OAuthStateCodec.decode(raw) else {
                unauthenticated.record(reason: "unknown_oauth_state", at: services.now())
                return APIResponse.error(.badRequest, "unknown_oauth_state", "This Calendly sign-in link is not valid any more. Start the connection again.")
            }
            let input: Connection.Input
            if let error = parameters.get("error") {
                input = .authorizationDenied(state, error: error, at: services.now())
            } else if let code = parameters.get("code"), !code.isEmpty {
                input = .authorizationGranted(state, code: code, at: services.now())
            } else {
                unauthenticated.record(reason: "missing_code", at: services.now())
                return APIResponse.error(.badRequest, "missing_code", "The callback has neither a code nor an error.")
            }
            let (connection, rejections) = try await services.runtime.connection(agent, input)
            if let rejection = rejections.first {
                if rejection.code == "unknown_oauth_state" { unauthenticated.record(reason: "unknown_oauth_state", at: services.now()) }
                return APIResponse.error(.badRequest, rejection.code, rejection.message)
            }
            let view = ConnectionView(connection)
            return APIResponse.json(view, status: view.status == "connected" ? .ok : .badRequest)
        }
    }

    static func withAgent<Store>(_ request: Request, _ context: BasicRequestContext, _ services: HostServices<Store>, _ permission: Permission,
                                 _ body: (Principal, AgentID) async throws -> Response) async throws -> Response {
        switch Gate.principal(request, services, permission) {
        case .failure(let response): return response
        case .success(let principal):
            guard let raw = Gate.validID(context.parameters.get("agentId")) else { return APIResponse.notFound }
            return try await body(principal, services.agentID(principal, raw))
        }
    }

    static func configAccount(_ connection: Connection) -> ActionConfig.Account? {
        connection.account.map { ActionConfig.Account(token: $0.token, user: $0.user, planInsufficient: $0.planInsufficient) }
    }

    /// `runnable` is Core's (`BookingSetup.notRunnableReason`), the same answer the offer route acts on.
    static func view(_ connection: Connection, _ config: ActionConfig, entitlements: AccountEntitlements, query: String) -> AgentCalendlyView {
        let blocker = BookingSetup.notRunnableReason(entitlements: entitlements, connection: connection, config: config)
        let action = config.saved.map { ActionView($0, notRunnable: blocker) }
        return AgentCalendlyView(connection: ConnectionView(connection), action: action, eventTypes: EventTypeListView(config, query: query))
    }
}

struct AnalyticsView: Encodable, Sendable {
    struct Totals: Encodable, Sendable { var offered, created, failed, canceled, conflicts, rescheduled, fallbackBooked: Int }
    struct Day: Encodable, Sendable { var date: String; var totals: Totals }
    var from: String
    var to: String
    var totals: Totals
    var daily: [Day]
    var emptyMessage: String?

    init(_ report: Analytics.Report) {
        func totals(_ counts: Analytics.Counts) -> Totals {
            Totals(offered: counts.offered, created: counts.created, failed: counts.failed, canceled: counts.canceled, conflicts: counts.conflicts,
                   rescheduled: counts.rescheduled, fallbackBooked: counts.fallbackBooked)
        }
        from = report.from.description
        to = report.to.description
        self.totals = totals(report.totals)
        daily = report.daily.map { Day(date: $0.date.description, totals: totals($0.counts)) }
        emptyMessage = report.emptyMessage
    }
}

/// The OAuth `state` carries the (account-namespaced) agent it belongs to plus a nonce; the connection
/// reducer accepts it only if it equals the state it stored, so a forged agent part is useless.
enum OAuthStateCodec {
    static func encode(agent: AgentID, nonce: String) -> OAuthState {
        OAuthState(PlatformToken.base64URL(Data(agent.rawValue.utf8)) + "." + nonce)
    }

    static func decode(_ raw: String) -> (OAuthState, AgentID)? {
        let parts = raw.split(separator: ".")
        guard parts.count == 2, raw.count <= 512, let data = PlatformToken.decodeBase64URL(String(parts[0])),
              let agent = String(data: data, encoding: .utf8), !agent.isEmpty else { return nil }
        return (OAuthState(raw), AgentID(agent))
    }
}
