import CSQLite
import Foundation
@testable import Host
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// Issue 10: a stranger on the internet against a real `serve` process. Whatever arrives — slow or
/// half-sent requests, oversized or malformed bodies, path tricks, forged tokens — the process stays
/// up, answers /health, returns what a slow client held, never reports a client's hang-up as a 5xx,
/// and writes nothing to the database for a caller it could not authenticate.
@Suite(.serialized) struct HostileInputTests {
    let http = HTTPClient()

    /// Short limits so the slow-client cases finish in seconds.
    static let shortLimits = ["HTTP_HEAD_TIMEOUT_SECONDS": "1", "HTTP_BODY_TIMEOUT_SECONDS": "1", "HTTP_IDLE_TIMEOUT_SECONDS": "2"]

    // MARK: Slow clients (item 3)

    @Test func halfHeadHalfBodyAndIdleClientsAreDisconnectedWithinTheirTimeoutsAndReleased() async throws {
        let serve = try ServeProcess(environment: Self.shortLimits)
        try await serve.start()
        defer { Task { _ = await serve.terminate() } }
        let runtime = try #require(serve.token("runtime"))

        let halfHead = try RawConnection(port: serve.port)
        try halfHead.send("GET /health HTTP/1.1\r\nHost: x\r\nX-Slow: ")
        let halfBody = try RawConnection(port: serve.port)
        try halfBody.send("POST /v1/conversations/c1/booking/reply HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer \(runtime)\r\n"
                          + "Content-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"text\":")
        let idle = try RawConnection(port: serve.port)
        // Kept alive after one full answer, then silent: the idle timeout applies.
        let keptAlive = try RawConnection(port: serve.port)
        try keptAlive.send("GET /health HTTP/1.1\r\nHost: x\r\n\r\n")

        // Head and body: 1 s; idle: 2 s. Each is closed by the server well before 5 s.
        for (name, connection, limit) in [("half head", halfHead, 1.0), ("half body", halfBody, 1.0), ("idle", idle, 2.0), ("kept alive", keptAlive, 2.0)] {
            let closedAfter = await connection.secondsUntilClosed(waitingAtMost: 8)
            #expect(closedAfter != nil, "\(name): still open after 8 s")
            if let closedAfter { #expect(closedAfter < limit + 3, "\(name): closed after \(closedAfter) s, limit \(limit) s") }
        }
        #expect(keptAlive.received.hasPrefix("HTTP/1.1 200"), "\(keptAlive.received)")
        #expect(halfBody.received.isEmpty || halfBody.received.hasPrefix("HTTP/1.1 4"), "\(halfBody.received)")

        // Everything those clients held is returned: every opened connection but the one asking is closed.
        let metrics = try await eventuallyValue { () -> String? in
            let text = try await http.send("GET", serve.base + "/metrics").text
            return Self.counter(text, "http_connections_opened_total") == Self.counter(text, "http_connections_closed_total") + 1 ? text : nil
        }
        let text = try #require(metrics, "connections still held (opened ≠ closed + 1)")
        for phase in ["head", "body", "idle"] {
            #expect(Self.counter(text, #"http_connections_timed_out_total{phase="\#(phase)"}"#) >= 1, "no \(phase) timeout counted")
        }
        #expect(!text.contains(#"status="500""#), "a slow client was counted as a server error:\n\(text)")
        #expect(try await http.send("GET", serve.base + "/health").status == 200)
    }

    /// A slowloris keeps every read fresh by trickling a byte at a time; the head and body limits count
    /// from the start of the head and of the body, so trickling does not extend them.
    @Test func tricklingAHeadOrABodyDoesNotExtendItsTimeout() async throws {
        let serve = try ServeProcess(environment: Self.shortLimits)
        try await serve.start()
        defer { Task { _ = await serve.terminate() } }
        let runtime = try #require(serve.token("runtime"))
        let head = Array("GET /health HTTP/1.1\r\nHost: x\r\nX-Slow: ".utf8) + Array(repeating: UInt8(ascii: "a"), count: 100)
        let body = Array(("POST /v1/conversations/c1/booking/reply HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer \(runtime)\r\n"
                          + "Content-Type: application/json\r\nContent-Length: 200\r\n\r\n").utf8) + Array(repeating: UInt8(ascii: " "), count: 200)
        for (name, bytes, prefix) in [("head", head, 30), ("body", body, body.count - 200)] {
            let connection = try RawConnection(port: serve.port)
            try connection.send(Array(bytes[..<prefix]))
            let started = ContinuousClock.now
            var closed = false
            // One byte every 200 ms (well inside any idle limit) for up to 6 s.
            for byte in bytes[prefix...] {
                try await Task.sleep(for: .milliseconds(200))
                if !connection.trySend([byte]) { closed = true; break }
                if ContinuousClock.now - started > .seconds(6) { break }
            }
            let elapsed = ContinuousClock.now - started
            #expect(closed, "\(name): a trickling client was never disconnected")
            #expect(elapsed < .seconds(4), "\(name): disconnected only after \(elapsed) (limit 1 s)")
        }
        #expect(try await http.send("GET", serve.base + "/health").status == 200)
    }

    /// The connection cap: with two connections held, a third is not served until one is released
    /// (here by the idle timeout), then it is — nothing is refused for good and nothing piles up.
    @Test func pastTheConnectionCapANewClientWaitsForAFreeSlot() async throws {
        let serve = try ServeProcess(environment: Self.shortLimits.merging(["HTTP_MAX_CONNECTIONS": "2"]) { $1 })
        try await serve.start()
        defer { Task { _ = await serve.terminate() } }
        let held = try (0..<2).map { _ in try RawConnection(port: serve.port) }
        try await Task.sleep(for: .milliseconds(300))   // both accepted: the cap is reached
        let waiting = try RawConnection(port: serve.port)
        let started = ContinuousClock.now
        let reply = try waiting.exchange("GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        let waited = ContinuousClock.now - started
        #expect(reply.status == 200, "\(reply.raw)")
        // Served only once an idle connection was closed (idle timeout 2 s), not at once.
        #expect(waited > .milliseconds(1200) && waited < .seconds(8), "answered after \(waited)")
        for connection in held { #expect(await connection.secondsUntilClosed(waitingAtMost: 5) != nil) }
    }

    /// Item 7: fewer body bytes than Content-Length, then a hang-up, is 499 — never 500 (the 5xx alert).
    @Test func aClientThatHangsUpMidBodyIsCountedAs499NotAsAServerError() async throws {
        let serve = try ServeProcess()
        try await serve.start()
        defer { Task { _ = await serve.terminate() } }
        let runtime = try #require(serve.token("runtime"))
        for path in ["/v1/conversations/c1/booking/reply", "/v1/conversations/c1/booking/offer"] {
            let connection = try RawConnection(port: serve.port)
            try connection.send("POST \(path) HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer \(runtime)\r\nContent-Type: application/json\r\n"
                                + "Content-Length: 500\r\n\r\n{\"text\":\"hel")
            connection.close()
        }
        let counted = try await eventuallyValue { () -> String? in
            let text = try await http.send("GET", serve.base + "/metrics").text
            return text.components(separatedBy: "\n").filter { $0.hasPrefix("http_requests_total") && $0.contains(#"status="499""#) }.count == 2 ? text : nil
        }
        let text = try #require(counted, "the hang-ups were not counted as 499")
        #expect(!text.contains(#"status="500""#), "\(text)")
        #expect(try await http.send("GET", serve.base + "/health").status == 200)
    }

    // MARK: Protocol hygiene (item 7)

    @Test func headMethodsContentTypesAndUnknownPathsAnswerLikeTheDocumentSays() async throws {
        let serve = try ServeProcess()
        try await serve.start()
        defer { Task { _ = await serve.terminate() } }
        let runtime = try #require(serve.token("runtime"))
        let admin = try #require(serve.token("admin"))

        // HEAD on every GET route answers like GET, without a body.
        for path in ["/health", "/ready", "/metrics", "/openapi.json"] {
            let head = try RawConnection(port: serve.port).exchange("HEAD \(path) HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            #expect(head.status == 200, "HEAD \(path): \(head.raw)")
            #expect(head.body.isEmpty, "HEAD \(path) sent a body")
        }
        let headAgent = try RawConnection(port: serve.port).exchange("HEAD /v1/agents/sales-bot/calendly HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer \(admin)\r\nConnection: close\r\n\r\n")
        #expect(headAgent.status == 200 && headAgent.body.isEmpty, "\(headAgent.raw)")

        // Undeclared methods on known paths: 405 with Allow and a JSON error body.
        for (method, path, allow) in [("DELETE", "/health", "GET, HEAD"), ("POST", "/v1/agents/sales-bot/calendly", "GET, HEAD"),
                                      ("GET", "/v1/conversations/c1/booking/reply", "POST"), ("PATCH", "/v1/webhooks/calendly", "POST"),
                                      ("GET", "/console/demo-session", "POST"), ("DELETE", "/console/index.html", "GET, HEAD")] {
            let reply = try RawConnection(port: serve.port).exchange("\(method) \(path) HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
            #expect(reply.status == 405, "\(method) \(path): \(reply.raw)")
            #expect(reply.header("allow") == allow, "\(method) \(path): \(reply.raw)")
            #expect(reply.json()["error"] as? String == "method_not_allowed", "\(reply.raw)")
        }

        // Unknown paths and path tricks: a JSON 404, never a 5xx or an empty body.
        for path in ["/nope", "/v1/agents/../calendly", "/v1/agents/./calendly", "/v1/agents/%2e%2e/calendly", "/v1/agents/a%00b/calendly",
                     "/v1/conversations/../booking/messages", "/v1/conversations/%2e%2e/booking/messages", "/v1/conversations/./booking/messages",
                     "/v1/conversations/" + String(repeating: "x", count: 129) + "/booking/messages"] {
            let token = path.hasPrefix("/v1/agents") ? admin : runtime
            let reply = try RawConnection(port: serve.port).exchange("GET \(path) HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer \(token)\r\nConnection: close\r\n\r\n")
            #expect(reply.status == 404 && reply.json()["error"] as? String == "not_found", "\(path): \(reply.raw)")
        }

        // A JSON route reads only JSON: another declared content type is 415.
        let form = try RawConnection(port: serve.port).exchange(
            request("POST", "/v1/conversations/c1/booking/reply", token: runtime, contentType: "application/x-www-form-urlencoded", body: "text=hi"))
        #expect(form.status == 415 && form.json()["error"] as? String == "unsupported_media_type", "\(form.raw)")
        let plain = try RawConnection(port: serve.port).exchange(
            request("PUT", "/v1/agents/sales-bot/calendly/action", token: admin, contentType: "text/plain", body: "{}"))
        #expect(plain.status == 415, "\(plain.raw)")

        // text must be a string when present; rowId xor text.
        let offer = try await http.send("POST", serve.base + "/v1/conversations/c1/booking/offer", token: runtime,
                                        json: #"{"agentId":"sales-bot","channel":"whatsapp","timeZone":"Asia/Jakarta"}"#)
        #expect(offer.status == 200, "\(offer.text)")
        let nullContact = try await http.send("POST", serve.base + "/v1/conversations/c2/booking/offer", token: runtime,
                                              json: #"{"agentId":"sales-bot","channel":"whatsapp","timeZone":"Asia/Jakarta","contact":null}"#)
        #expect(nullContact.status == 400, "contact: null → \(nullContact.status) \(nullContact.text)")
        for body in [#"{"rowId":"o1s2","text":null}"#, #"{"text":null}"#, #"{"rowId":null}"#, #"{"text":5}"#] {
            let reply = try await http.send("POST", serve.base + "/v1/conversations/c1/booking/reply", token: runtime, json: body)
            #expect(reply.status == 400, "\(body): \(reply.status) \(reply.text)")
        }
        for body in [#"{"rowId":"o1s2","text":"2"}"#, #"{}"#, #"{"text":""}"#] {
            let reply = try await http.send("POST", serve.base + "/v1/conversations/c1/booking/reply", token: runtime, json: body)
            #expect(reply.status == 422, "\(body): \(reply.status) \(reply.text)")
        }
    }

    // MARK: Hostile input, authenticated or not (items 3, 6, 7)

    @Test func hostileRequestsLeaveTheProcessUpAndTheDatabaseUntouched() async throws {
        let serve = try ServeProcess()
        try await serve.start()
        defer { Task { _ = await serve.terminate() } }
        let before = try Self.rowCounts(serve.dataDirectory + "/calendly-action.sqlite")
        #expect(!before.isEmpty)

        // Forged tokens: alg none, HS512, garbage, 100k characters.
        let claims = PlatformTokenForgery.claims(account: "acme", role: "admin")
        for token in [PlatformTokenForgery.unsigned(claims), PlatformTokenForgery.hs512(claims), "a.b.c", String(repeating: "A", count: 60_000), "\u{0}.\u{0}.\u{0}"] {
            let reply = try await http.send("GET", serve.base + "/v1/agents/sales-bot/calendly", token: token)
            #expect(reply.status == 401 || reply.status == 431 || reply.status == 400, "\(reply.status) \(reply.text.prefix(200))")
        }

        let paths = ["/v1/agents/sales-bot/calendly/action", "/v1/conversations/c1/booking/offer", "/v1/conversations/c1/booking/reply"]
        let bodies: [[UInt8]] = [
            Array(repeating: UInt8(ascii: "["), count: 50_000) + Array(repeating: UInt8(ascii: "]"), count: 10_000),   // deep nesting
            Array(#"{"text":""#.utf8) + [0xFF, 0xFE, 0xC0, 0x80, 0xED, 0xA0, 0x80] + Array(#""}"#.utf8),                  // invalid UTF-8
            Array(repeating: UInt8(ascii: "a"), count: 300_000),                                                          // oversized
            Array(#"{"text":""#.utf8) + Array(repeating: UInt8(ascii: "x"), count: 100_000) + Array(#""}"#.utf8),
            [],
        ]
        // Unauthenticated: 401 (or 413 for the oversized), nothing read further, nothing written.
        for path in paths {
            for body in bodies {
                let reply = try RawConnection(port: serve.port).exchange(request(path.hasSuffix("action") ? "PUT" : "POST", path, token: nil,
                                                                                  contentType: "application/json", body: body))
                #expect([401, 413].contains(reply.status), "\(path) \(body.count) bytes: \(reply.raw.prefix(300))")
            }
        }
        // Authenticated hostile bodies are refused as client errors, never a 5xx.
        let runtime = try #require(serve.token("runtime"))
        for body in bodies {
            let reply = try RawConnection(port: serve.port).exchange(request("POST", "/v1/conversations/c9/booking/offer", token: runtime,
                                                                              contentType: "application/json", body: body))
            #expect((400..<500).contains(reply.status), "offer \(body.count) bytes: \(reply.raw.prefix(300))")
        }
        // Oversized and malformed heads: the parser's limits answer, the process carries on.
        for raw in ["GET /health HTTP/1.1\r\nHost: x\r\nX-Big: " + String(repeating: "b", count: 100_000) + "\r\n\r\n",
                    "GET /" + String(repeating: "p", count: 100_000) + " HTTP/1.1\r\nHost: x\r\n\r\n",
                    "BREW /health HTCPCP/1.0\r\n\r\n", "\u{0}\u{1}\u{2}\r\n\r\n", "GET /health HTTP/1.1\r\nContent-Length: -1\r\n\r\n",
                    "POST /v1/webhooks/calendly HTTP/1.1\r\nHost: x\r\nContent-Length: 99999999999999999999\r\n\r\n"] {
            let reply = try RawConnection(port: serve.port).exchange(raw)
            #expect(reply.status == 0 || (400..<500).contains(reply.status), "\(raw.prefix(60)): \(reply.raw.prefix(200))")
        }

        #expect(try await http.send("GET", serve.base + "/health").status == 200)
        #expect(try Self.rowCounts(serve.dataDirectory + "/calendly-action.sqlite") == before)
        let metrics = try await http.send("GET", serve.base + "/metrics").text
        #expect(!metrics.contains(#"status="500""#), "\(metrics)")
    }

    /// Per-account budgets: past it, 429 with Retry-After and a JSON body; the other route class is unaffected.
    @Test func anAccountOverItsBudgetGets429WithRetryAfter() async throws {
        let serve = try ServeProcess(environment: ["RATE_LIMIT_ADMIN_PER_MINUTE": "3"])
        try await serve.start()
        defer { Task { _ = await serve.terminate() } }
        let admin = try #require(serve.token("admin"))
        let runtime = try #require(serve.token("runtime"))
        for _ in 0..<3 {
            #expect(try await http.send("GET", serve.base + "/v1/agents/sales-bot/calendly", token: admin).status == 200)
        }
        let limited = try RawConnection(port: serve.port).exchange(request("GET", "/v1/agents/sales-bot/calendly", token: admin, contentType: nil, body: []))
        #expect(limited.status == 429 && limited.json()["error"] as? String == "rate_limited", "\(limited.raw)")
        let retryAfter = limited.header("retry-after").flatMap { Int($0) }
        #expect(retryAfter.map { (1...20).contains($0) } == true, "Retry-After: \(limited.header("retry-after") ?? "none")")
        // Runtime routes have their own budget.
        #expect(try await http.send("GET", serve.base + "/v1/conversations/c1/booking/messages", token: runtime).status == 404)
    }

    /// Items 1 and 2 through a real process: an extreme signature timestamp once trapped `serve`, and
    /// unsigned webhooks and forged OAuth callbacks once wrote rows.
    @Test func webhookSignatureExtremesAndUnsignedWritesAreHarmless() async throws {
        let serve = try ServeProcess()
        try await serve.start()
        defer { Task { _ = await serve.terminate() } }
        let database = serve.dataDirectory + "/calendly-action.sqlite"
        let before = try Self.rowCounts(database)
        do {
            let zeros = String(repeating: "0", count: 64)
            for t in ["9223372036854775807", "-9223372036854775808", "10000000000000000", "99999999999999999999999", "", "abc"] {
                let raw = request("POST", "/v1/webhooks/calendly", token: nil, contentType: "application/json", body: Array("{}".utf8),
                                  extra: "Calendly-Webhook-Signature: t=\(t),v1=\(zeros)\r\n")
                let reply = try RawConnection(port: serve.port).exchange(raw)
                #expect(reply.status == 401, "t=\(t): \(reply.raw.prefix(200))")
            }
            for state in ["YWNtZTpzYWxlcy1ib3Q.nonce", "..", "%00"] {
                _ = try? await http.send("GET", serve.base + "/v1/oauth/calendly/callback?state=\(state)&code=x")
            }
            #expect(try await http.send("GET", serve.base + "/health").status == 200)
            #expect(try Self.rowCounts(database) == before)
        }
    }

    /// The README's "Limits and timeouts" table names every limit variable with the default the code uses,
    /// and a bad value stops `serve` (exit 2) naming the variable.
    @Test func everyLimitIsDocumentedWithItsDefaultAndABadValueStopsServe() async throws {
        let readme = try String(contentsOf: URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("README.md"), encoding: .utf8)
        let defaults = ConnectionLimits()
        let expected = ["HTTP_HEAD_TIMEOUT_SECONDS": "\(defaults.headTimeout.components.seconds) s", "HTTP_BODY_TIMEOUT_SECONDS": "\(defaults.bodyTimeout.components.seconds) s",
                        "HTTP_IDLE_TIMEOUT_SECONDS": "\(defaults.idleTimeout.components.seconds) s", "HTTP_MAX_CONNECTIONS": "\(defaults.maxConnections)",
                        "RATE_LIMIT_ADMIN_PER_MINUTE": "\(defaults.adminPerMinute)", "RATE_LIMIT_RUNTIME_PER_MINUTE": "\(defaults.runtimePerMinute)"]
        #expect(Set(expected.keys) == Set(ConnectionLimits.variables.map(\.name)))
        for (variable, value) in expected {
            let row = readme.split(separator: "\n").first { $0.hasPrefix("|") && $0.contains("`\(variable)`") }
            #expect(row?.contains("| \(value) |") == true, "README row for \(variable) must say \(value): \(row ?? "missing")")
        }
        #expect(throws: HostConfiguration.Invalid.self) { try ConnectionLimits.load(environment: ["HTTP_IDLE_TIMEOUT_SECONDS": "9223372036854775807"]) }
        #expect(throws: HostConfiguration.Invalid.self) { try ConnectionLimits.load(environment: ["RATE_LIMIT_ADMIN_PER_MINUTE": "-1"]) }
        #expect(try ConnectionLimits.load(environment: ["HTTP_MAX_CONNECTIONS": "7"]).maxConnections == 7)

        let serve = try ServeProcess(environment: ["HTTP_HEAD_TIMEOUT_SECONDS": "0"])
        try serve.process.run()
        serve.process.waitUntilExit()
        #expect(serve.process.terminationStatus == 2)
        #expect(serve.stderrText().contains("HTTP_HEAD_TIMEOUT_SECONDS"))
    }

    // MARK: Helpers

    func request(_ method: String, _ path: String, token: String?, contentType: String?, body: String, extra: String = "") -> String {
        String(decoding: request(method, path, token: token, contentType: contentType, body: Array(body.utf8), extra: extra), as: UTF8.self)
    }

    func request(_ method: String, _ path: String, token: String?, contentType: String?, body: [UInt8], extra: String = "") -> [UInt8] {
        var head = "\(method) \(path) HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Length: \(body.count)\r\n" + extra
        if let token { head += "Authorization: Bearer \(token)\r\n" }
        if let contentType { head += "Content-Type: \(contentType)\r\n" }
        return Array((head + "\r\n").utf8) + body
    }

    /// A Prometheus sample's value (0 when absent).
    static func counter(_ text: String, _ sample: String) -> Int {
        text.split(separator: "\n").first { $0.hasPrefix(sample + " ") }.flatMap { Int($0.split(separator: " ").last ?? "") } ?? 0
    }

    /// Rows per table, read through a read-only connection (WAL readers see committed rows).
    static func rowCounts(_ path: String) throws -> [String: Int] {
        var db: OpaquePointer?
        guard sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, nil) == SQLITE_OK else { throw ServeProcess.Failure(description: "cannot open \(path)") }
        defer { sqlite3_close(db) }
        func query(_ sql: String) -> [[String]] {
            var statement: OpaquePointer?
            guard sqlite3_prepare_v2(db, sql, -1, &statement, nil) == SQLITE_OK else { return [] }
            defer { sqlite3_finalize(statement) }
            var rows: [[String]] = []
            while sqlite3_step(statement) == SQLITE_ROW {
                rows.append((0..<sqlite3_column_count(statement)).map { String(cString: sqlite3_column_text(statement, $0)) })
            }
            return rows
        }
        let tables = query("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'").map { $0[0] }
        return Dictionary(uniqueKeysWithValues: tables.map { ($0, Int(query("SELECT COUNT(*) FROM \"\($0)\"").first?.first ?? "") ?? -1) })
    }
}

/// Polls for up to ten seconds until `value` returns non-nil.
func eventuallyValue<T>(_ value: () async throws -> T?) async throws -> T? {
    for _ in 0..<100 {
        if let found = try await value() { return found }
        try await Task.sleep(for: .milliseconds(100))
    }
    return nil
}

/// Tokens an attacker would try: the same claims, signed with nothing or with another algorithm.
enum PlatformTokenForgery {
    static func claims(account: String, role: String) -> String {
        let now = Int(Date().timeIntervalSince1970)
        return #"{"sub":"mallory","account":"\#(account)","role":"\#(role)","features":["ai_agent"],"addons":["native_integrations"],"flags":["ai_agent_calendly_action"],"iat":\#(now),"exp":\#(now + 3600)}"#
    }

    static func base64URL(_ text: String) -> String {
        Data(text.utf8).base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
    }

    static func unsigned(_ claims: String) -> String { base64URL(#"{"alg":"none","typ":"JWT"}"#) + "." + base64URL(claims) + "." }

    /// Signed with a key the service does not have, under an algorithm it does not accept.
    static func hs512(_ claims: String) -> String {
        base64URL(#"{"alg":"HS512","typ":"JWT"}"#) + "." + base64URL(claims) + "." + base64URL(String(repeating: "s", count: 64))
    }
}

/// A blocking TCP client for what URLSession cannot do: half a head, half a body, silence.
final class RawConnection: @unchecked Sendable {
    let fd: Int32
    private(set) var received = ""

    struct Reply {
        var raw: String
        var status: Int
        var body: String
        func header(_ name: String) -> String? {
            let head = raw.components(separatedBy: "\r\n\r\n").first ?? ""
            return head.components(separatedBy: "\r\n").dropFirst().first { $0.lowercased().hasPrefix(name.lowercased() + ":") }
                .map { String($0.dropFirst(name.count + 1)).trimmingCharacters(in: .whitespaces) }
        }
        func json() -> [String: Any] { (try? JSONSerialization.jsonObject(with: Data(body.utf8))) as? [String: Any] ?? [:] }
    }

    init(port: Int) throws {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw ServeProcess.Failure(description: "socket failed") }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = UInt16(port).bigEndian
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let connected = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(fd, $0, length) } }
        guard connected == 0 else { Glibc.close(fd); throw ServeProcess.Failure(description: "connect to \(port) failed") }
        var noSignal: Int32 = 1
        _ = setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &noSignal, socklen_t(MemoryLayout<Int32>.size))
    }

    deinit { Glibc.close(fd) }

    func send(_ text: String) throws { try send(Array(text.utf8)) }

    func send(_ bytes: [UInt8]) throws {
        var offset = 0
        while offset < bytes.count {
            let sent = bytes[offset...].withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            guard sent > 0 else { return }   // the server closed first (e.g. after a 413): read what it said
            offset += sent
        }
    }

    func close() { shutdown(fd, Int32(SHUT_RDWR)) }

    /// Sends without blocking on a closed peer; false once the server has closed the connection (a
    /// reset or a broken pipe — the first write after the close may still succeed, the next one fails).
    func trySend(_ bytes: [UInt8]) -> Bool {
        var probe: UInt8 = 0
        if recv(fd, &probe, 1, Int32(MSG_DONTWAIT) | Int32(MSG_PEEK)) == 0 { return false }   // orderly close seen
        return bytes.withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) } == bytes.count
    }

    /// Reads until the server closes or `seconds` pass; returns how long it took to close (nil: still open).
    func secondsUntilClosed(waitingAtMost seconds: Double) async -> Double? {
        await withCheckedContinuation { continuation in
            DispatchQueue.global().async { continuation.resume(returning: self.readUntilClosed(seconds)) }
        }
    }

    func readUntilClosed(_ seconds: Double) -> Double? {
        let started = Date()
        var timeout = timeval(tv_sec: 0, tv_usec: 200_000)
        _ = setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var buffer = [UInt8](repeating: 0, count: 65_536)
        var bytes: [UInt8] = []
        defer { received = String(decoding: bytes, as: UTF8.self) }
        while Date().timeIntervalSince(started) < seconds {
            let count = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if count > 0 { bytes += buffer[0..<count]; continue }
            if count == 0 { return Date().timeIntervalSince(started) }
            if errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR { continue }
            return Date().timeIntervalSince(started)   // reset by the server: closed too
        }
        return nil
    }

    /// Sends a whole request (with `Connection: close`) and reads the answer until the server closes.
    func exchange(_ text: String) throws -> Reply { try exchange(Array(text.utf8)) }

    func exchange(_ bytes: [UInt8]) throws -> Reply {
        try send(bytes)
        _ = readUntilClosed(15)
        let raw = received
        let statusLine = raw.components(separatedBy: "\r\n").first ?? ""
        let status = statusLine.hasPrefix("HTTP/1.1 ") ? Int(statusLine.dropFirst(9).prefix(3)) ?? 0 : 0
        let body = raw.components(separatedBy: "\r\n\r\n").dropFirst().joined(separator: "\r\n\r\n")
        return Reply(raw: raw, status: status, body: body)
    }
}
