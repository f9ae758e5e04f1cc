import Core
import Effects
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Interpreters
import Testing
@testable import Host

/// openapi.json against the code: the committed file is the served document, it is OpenAPI 3.1, it
/// names exactly the routes the router registers, every documented operation is really routed (and
/// gated as its `x-roles` say), and real answers have the documented status and body shape.
@Suite struct OpenAPITests {
    static let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    @Test func committedFileIsTheServedDocument() throws {
        let committed = try String(contentsOf: Self.repositoryRoot.appendingPathComponent("openapi.json"), encoding: .utf8)
        // The repository's file (a link to the resource) is what the executable ships and serves.
        #expect(committed == OpenAPIDocument.json, "the served document is not Sources/Host/Resources/openapi.json")
        #expect(!committed.contains("openapi_document_missing"))
    }

    @Test func documentIsOpenAPI31WithEveryReferenceResolved() throws {
        let spec = try Spec()
        let version = try #require(spec.root["openapi"] as? String)
        #expect(version.hasPrefix("3.1."))
        var references: [String] = []
        Spec.collectReferences(spec.root, into: &references)
        #expect(!references.isEmpty)
        for reference in references { #expect(spec.resolve(reference) != nil, "unresolved \(reference)") }

        let schemas = try #require((spec.root["components"] as? [String: Any])?["schemas"] as? [String: Any])
        for name in ["Error", "Channel", "OfferRequest", "ReplyRequest", "Message", "ConversationResponse", "ConnectResponse", "Connection", "EventType",
                     "EventTypeList", "Action", "AgentCalendly", "Analytics", "ActionDraft", "QuestionMapping", "ListRow", "ChoiceButton", "ConfirmationCard", "WebhookAck"] {
            #expect(schemas[name] != nil, "components/schemas/\(name) missing")
        }
        let channels = ((schemas["Channel"] as? [String: Any])?["enum"] as? [String]).map(Set.init)
        #expect(channels == Set(Channel.allCases.map(\.rawValue)))

        let scheme = (spec.root["components"] as? [String: Any]).flatMap { $0["securitySchemes"] as? [String: Any] }?["platformToken"] as? [String: Any]
        #expect(scheme?["type"] as? String == "http" && scheme?["scheme"] as? String == "bearer" && scheme?["bearerFormat"] as? String == "JWT")
        let schemeText = scheme?["description"] as? String ?? ""
        for word in [Access.feature, Access.addon, Access.flag, "HS256"] + Role.allCases.map(\.rawValue) { #expect(schemeText.contains(word), "\(word)") }

        // Every request example is an instance of its schema.
        for operation in spec.operations {
            guard let content = (operation.body["requestBody"] as? [String: Any])?["content"] as? [String: Any],
                  let media = content["application/json"] as? [String: Any], let example = media["example"],
                  let schema = media["schema"] as? [String: Any] else { continue }
            #expect(spec.violations(example, schema).isEmpty, "\(operation.id) example: \(spec.violations(example, schema))")
        }
    }

    /// Hummingbird's `Router.routes` lists what `buildRouter` registered; the document must name exactly those.
    @Test func documentedOperationsAreExactlyTheRegisteredRoutes() throws {
        let spec = try Spec()
        let registered = Set(buildRouter(HostHarness().services).routes.map { "\($0.method.rawValue) \($0.path.description)" })
        let documented = Set(spec.operations.map(\.id))
        #expect(!registered.isEmpty)
        #expect(registered.subtracting(documented).isEmpty, "routed but not documented: \(registered.subtracting(documented).sorted())")
        #expect(documented.subtracting(registered).isEmpty, "documented but not routed: \(documented.subtracting(registered).sorted())")
    }

    /// The same, by calling: a documented operation never gets the router's own "no route" answer (an
    /// empty 404, as for a path nobody registered); gated ones admit exactly their `x-roles`.
    @Test func everyDocumentedOperationAnswersAndIsGatedAsDocumented() async throws {
        let harness = HostHarness()
        try await harness.application.test(.router) { client in
            let spec = try Spec()
            let unknown = try await client.call(.get, "/v1/no-such-route", token: HostHarness.token(.admin))
            #expect(unknown.0 == 404 && unknown.1["error"] as? String == "not_found", "the unmatched-route answer changed: \(unknown)")
            func isNoRoute(_ answer: (Int, [String: Any], String)) -> Bool { (answer.0 == unknown.0 && answer.2 == unknown.2) || answer.0 == 405 }
            // The check can tell: a wrong method on a documented path is 405 (with Allow), never routed.
            #expect(isNoRoute(try await client.call(.post, "/health")))

            for operation in spec.operations {
                let method = HTTPRequest.Method(rawValue: operation.method.uppercased())!
                let uri = spec.sampleURI(operation)
                let json = operation.body["requestBody"] == nil ? nil : "{}"
                let roles = (operation.body["x-roles"] as? [String]) ?? []
                if spec.isPublic(operation) {
                    #expect(roles.isEmpty, "\(operation.id): public with x-roles")
                    let answer = try await client.call(method, uri, json: json)
                    #expect(!isNoRoute(answer), "\(operation.id) is not routed")
                    #expect(spec.isDocumented(operation, status: answer.0), "\(operation.id) → \(answer.0) undocumented")
                    continue
                }
                #expect(!roles.isEmpty, "\(operation.id): gated without x-roles")
                let anonymous = try await client.call(method, uri, json: json)
                #expect(anonymous.0 == 401 && spec.isDocumented(operation, status: 401), "\(operation.id) without a token → \(anonymous.0)")
                for role in Role.allCases {
                    let answer = try await client.call(method, uri, token: HostHarness.token(role), json: json)
                    #expect(!isNoRoute(answer), "\(operation.id) as \(role) is not routed")
                    #expect(spec.isDocumented(operation, status: answer.0), "\(operation.id) as \(role) → \(answer.0) undocumented")
                    if roles.contains(role.rawValue) {
                        #expect(answer.0 != 401 && answer.1["error"] as? String != "unauthorized", "\(operation.id) must admit \(role)")
                    } else {
                        #expect(answer.0 == 404 && answer.1["error"] as? String == "not_found", "\(operation.id) must hide from \(role) (got \(answer.0))")
                    }
                    let unentitled = try await client.call(method, uri, token: HostHarness.token(role, entitled: false), json: json)
                    #expect(unentitled.0 == 404 && unentitled.1["error"] as? String == "not_found", "\(operation.id) without the entitlement")
                }
            }
        }
    }

    /// Real answers along the whole journey (connect → configure → offer → book → webhook → analytics,
    /// plus the documented failures) have a documented status and a body of the documented schema.
    @Test func realAnswersMatchTheDocumentedSchemas() async throws {
        let harness = HostHarness()
        let admin = HostHarness.token(.admin), runtime = HostHarness.token(.runtime)
        let agent = "/v1/agents/{agentId}/calendly", base = "/v1/agents/agent-1/calendly"
        let conversation = "/v1/conversations/{conversationId}/booking", booking = "/v1/conversations/conv-1/booking"
        try await harness.application.test(.router) { client in
            let spec = try Spec()
            @discardableResult
            func check(_ method: HTTPRequest.Method, _ template: String, _ uri: String, token: String? = nil, json: String? = nil,
                       headers: HTTPFields = [:], body: [UInt8]? = nil, expect status: Int) async throws -> [String: Any] {
                let (code, object, text) = try await client.call(method, uri, token: token, json: json, headers: headers, body: body)
                #expect(code == status, "\(method) \(uri) → \(code) \(text)")
                let problems = spec.answerViolations(path: template, method: method.rawValue.lowercased(), status: code, body: text)
                #expect(problems.isEmpty, "\(method) \(uri) → \(code): \(problems)")
                return object
            }

            try await check(.get, agent, base, token: admin, expect: 200)
            try await check(.get, agent + "/event-types", base + "/event-types", token: admin, expect: 409)
            let connect = try await check(.post, agent + "/connect", base + "/connect", token: admin, expect: 200)
            let state = URLComponents(string: connect["authorizeUrl"] as? String ?? "")?.queryItems?.first { $0.name == "state" }?.value ?? ""
            try await check(.get, "/v1/oauth/calendly/callback", "/v1/oauth/calendly/callback?code=x", expect: 400)
            try await check(.get, "/v1/oauth/calendly/callback", "/v1/oauth/calendly/callback?code=abc&state=\(state)", expect: 200)
            try await check(.get, agent + "/event-types", base + "/event-types?q=intro&refresh=true", token: admin, expect: 200)
            try await check(.put, agent + "/action", base + "/action", token: admin, json: "{nope", expect: 400)
            try await check(.put, agent + "/action", base + "/action", token: admin, body: [UInt8](repeating: 65, count: 70_000), expect: 413)
            try await check(.put, agent + "/action", base + "/action", token: admin,
                            json: #"{"eventType":"https://api.calendly.com/event_types/INTRO","questionMappings":[],"trigger":"","confirmationMessage":"","enabled":true}"#, expect: 422)
            let draft = #"{"eventType":"https://api.calendly.com/event_types/INTRO","emailField":"contact.email","nameField":"contact.name","questionMappings":[{"question":"Company","field":"contact.company"}],"trigger":"customer asks to meet","confirmationMessage":"See you soon!","enabled":true}"#
            try await check(.put, agent + "/action", base + "/action", token: admin, json: draft, expect: 200)
            try await check(.get, agent, base + "?q=intro", token: admin, expect: 200)

            try await check(.post, conversation + "/offer", booking + "/offer", token: runtime, json: #"{"agentId":"agent-1","channel":"whatsapp","timeZone":"Mars/Olympus"}"#, expect: 422)
            try await check(.post, conversation + "/offer", booking + "/offer", token: runtime, json: #"{"agentId":"agent-1","channel":"fax","timeZone":"UTC"}"#, expect: 400)
            try await check(.post, conversation + "/reply", booking + "/reply", token: runtime, json: #"{"text":"1"}"#, expect: 404)
            let offered = try await check(.post, conversation + "/offer", booking + "/offer", token: runtime,
                                          json: #"{"agentId":"agent-1","channel":"whatsapp","timeZone":"Asia/Jakarta","contact":{"contact.email":"ana@example.com","contact.name":"Ana","contact.company":"Acme"}}"#, expect: 200)
            try await check(.post, conversation + "/offer", booking + "/offer", token: runtime, json: #"{"agentId":"agent-1","channel":"whatsapp","timeZone":"Asia/Jakarta"}"#, expect: 409)
            let row = ((offered["messages"] as? [[String: Any]])?.last?["rows"] as? [[String: Any]])?.first?["id"] as? String ?? ""
            try await check(.post, conversation + "/reply", booking + "/reply", token: runtime, json: #"{"text":"2","rowId":"x"}"#, expect: 422)
            let booked = try await check(.post, conversation + "/reply", booking + "/reply", token: runtime, json: #"{"rowId":"\#(row)"}"#, expect: 200)
            #expect(booked["state"] as? String == "confirmed")
            try await check(.get, conversation + "/messages", booking + "/messages", token: runtime, expect: 200)
            let textOffer = try await check(.post, conversation + "/offer", "/v1/conversations/conv-2/booking/offer", token: runtime,
                                            json: #"{"agentId":"agent-1","channel":"webchat","timeZone":"Europe/London"}"#, expect: 200)
            #expect((textOffer["messages"] as? [[String: Any]])?.last?["type"] as? String == "buttons")

            let webhook = try #require(harness.calendly.drainWebhooks().first)
            let header = HTTPField.Name(WebhookSignature.headerName)!
            try await check(.post, "/v1/webhooks/calendly", "/v1/webhooks/calendly", body: webhook.body, expect: 401)
            let garbage = Array("{not json".utf8)
            try await check(.post, "/v1/webhooks/calendly", "/v1/webhooks/calendly", headers: [header: harness.signature.header(for: garbage, at: harness.clock.now)], body: garbage, expect: 200)
            try await check(.post, "/v1/webhooks/calendly", "/v1/webhooks/calendly", headers: [header: harness.signature.header(for: webhook.body, at: harness.clock.now)],
                            body: webhook.body, expect: 200)
            let other = Array(#"{"event":"routing_form_submission.created","payload":{}}"#.utf8)
            let ignored = try await check(.post, "/v1/webhooks/calendly", "/v1/webhooks/calendly", headers: [header: harness.signature.header(for: other, at: harness.clock.now)],
                                          body: other, expect: 200)
            #expect(ignored["status"] as? String == "ignored")

            try await check(.get, agent + "/analytics", base + "/analytics?from=2026-11-01&to=2026-11-30", token: HostHarness.token(.supervisor), expect: 200)
            try await check(.get, agent + "/analytics", base + "/analytics?from=2026-11-30&to=2026-11-01", token: admin, expect: 400)
            try await check(.get, agent + "/analytics", base + "/analytics?to=2026-11-01", token: admin, expect: 400)
            try await check(.delete, agent + "/connection", base + "/connection", token: admin, expect: 200)
            try await check(.get, agent, "/v1/agents/bad%20id/calendly", token: admin, expect: 404)
            try await check(.get, agent, base, token: "Bearer not.a.jwt", expect: 401)
            for path in ["/health", "/ready", "/metrics", "/openapi.json"] { try await check(.get, path, path, expect: 200) }
        }
    }
}

/// A small reader of the document: operations, references, and a checker for the JSON Schema subset it uses.
struct Spec {
    struct Operation { let method: String; let path: String; let body: [String: Any]; var id: String { "\(method.uppercased()) \(path)" } }
    static let methods = ["get", "put", "post", "delete", "patch", "head", "options", "trace"]

    let root: [String: Any]

    struct NotAnObject: Error {}

    init() throws {
        guard let object = try JSONSerialization.jsonObject(with: Data(OpenAPIDocument.json.utf8)) as? [String: Any] else { throw NotAnObject() }
        root = object
    }

    var operations: [Operation] {
        let paths = root["paths"] as? [String: [String: Any]] ?? [:]
        return paths.keys.sorted().flatMap { path in
            Self.methods.compactMap { method in (paths[path]?[method] as? [String: Any]).map { Operation(method: method, path: path, body: $0) } }
        }
    }

    func isPublic(_ operation: Operation) -> Bool {
        let security = (operation.body["security"] ?? root["security"]) as? [Any] ?? []
        return security.isEmpty
    }

    func parameters(_ operation: Operation) -> [[String: Any]] {
        let shared = (root["paths"] as? [String: [String: Any]])?[operation.path]?["parameters"] as? [Any] ?? []
        return (shared + (operation.body["parameters"] as? [Any] ?? [])).compactMap { deref($0) }
    }

    /// The path with each parameter's example filled in, plus the required query parameters that have one.
    func sampleURI(_ operation: Operation) -> String {
        var uri = operation.path
        var query: [String] = []
        for parameter in parameters(operation) {
            guard let name = parameter["name"] as? String, let example = parameter["example"] as? String else { continue }
            switch parameter["in"] as? String {
            case "path": uri = uri.replacingOccurrences(of: "{\(name)}", with: example)
            case "query" where parameter["required"] as? Bool == true: query.append("\(name)=\(example)")
            default: break
            }
        }
        return query.isEmpty ? uri : uri + "?" + query.joined(separator: "&")
    }

    func response(_ operation: Operation, status: Int) -> [String: Any]? {
        let responses = operation.body["responses"] as? [String: Any] ?? [:]
        guard let response = responses[String(status)] ?? responses["default"] else { return nil }
        return deref(response)
    }

    func isDocumented(_ operation: Operation, status: Int) -> Bool { response(operation, status: status) != nil }

    /// Problems with a real answer: undocumented status, or a body that is not the documented content.
    func answerViolations(path: String, method: String, status: Int, body: String) -> [String] {
        guard let operation = operations.first(where: { $0.path == path && $0.method == method }) else { return ["\(method) \(path) is not documented"] }
        guard let response = response(operation, status: status) else { return ["status \(status) is not documented"] }
        guard let content = response["content"] as? [String: Any], !content.isEmpty else {
            return body.isEmpty ? [] : ["documented without a body, got \(body.prefix(80))"]
        }
        guard let media = content["application/json"] as? [String: Any] else { return body.isEmpty ? ["empty body"] : [] }
        if body.isEmpty { return content.count == 1 && status == 413 ? [] : ["empty body"] }
        guard let value = try? JSONSerialization.jsonObject(with: Data(body.utf8)) else { return ["not JSON: \(body.prefix(80))"] }
        return violations(value, media["schema"] as? [String: Any] ?? [:])
    }

    func resolve(_ reference: String) -> Any? {
        guard reference.hasPrefix("#/") else { return nil }
        var node: Any? = root
        for key in reference.dropFirst(2).split(separator: "/") { node = (node as? [String: Any])?[String(key)] }
        return node
    }

    func deref(_ node: Any) -> [String: Any]? {
        guard let object = node as? [String: Any] else { return nil }
        if let reference = object["$ref"] as? String { return resolve(reference).flatMap(deref) }
        return object
    }

    static func collectReferences(_ node: Any, into references: inout [String]) {
        if let object = node as? [String: Any] {
            if let reference = object["$ref"] as? String { references.append(reference) }
            for value in object.values { collectReferences(value, into: &references) }
        } else if let array = node as? [Any] {
            for value in array { collectReferences(value, into: &references) }
        }
    }

    /// The JSON Schema subset the document uses: $ref, oneOf, type, enum, properties, required, items,
    /// additionalProperties. Undocumented object keys count as violations (the document must be complete).
    func violations(_ value: Any, _ schema: [String: Any], at location: String = "$") -> [String] {
        guard let schema = deref(schema) else { return ["\(location): bad schema"] }
        if let choices = schema["oneOf"] as? [Any] {
            let matching = choices.compactMap { deref($0) }.filter { violations(value, $0, at: location).isEmpty }
            return matching.count == 1 ? [] : ["\(location): matches \(matching.count) of oneOf"]
        }
        var problems: [String] = []
        switch schema["type"] as? String {
        case "object":
            guard let object = value as? [String: Any] else { return ["\(location): not an object"] }
            let properties = schema["properties"] as? [String: Any]
            for key in schema["required"] as? [String] ?? [] where object[key] == nil { problems.append("\(location).\(key): missing") }
            for (key, member) in object {
                if let property = properties?[key] as? [String: Any] {
                    problems += violations(member, property, at: "\(location).\(key)")
                } else if let additional = schema["additionalProperties"] as? [String: Any] {
                    problems += violations(member, additional, at: "\(location).\(key)")
                } else if properties != nil {
                    problems.append("\(location).\(key): undocumented")
                }
            }
        case "array":
            guard let array = value as? [Any] else { return ["\(location): not an array"] }
            if let items = schema["items"] as? [String: Any] {
                for (index, item) in array.enumerated() { problems += violations(item, items, at: "\(location)[\(index)]") }
            }
        case "string":
            guard let string = value as? String else { return ["\(location): not a string"] }
            if let allowed = schema["enum"] as? [String], !allowed.contains(string) { problems.append("\(location): \(string) not in \(allowed)") }
        case "integer":
            if value is String || (value as? Int) == nil { problems.append("\(location): not an integer") }
        case "boolean":
            if value is String || (value as? Bool) == nil { problems.append("\(location): not a boolean") }
        default:
            break
        }
        return problems
    }
}
