import Core
import Effects
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Interpreters
import Synchronization
import Testing
@testable import Host

/// The console's routes: its own files only, same-origin headers, and demo tokens only in demo mode.
/// (What the page does in a browser is walked by Tests/Browser/console_walk.py.)
@Suite struct ConsoleRoutesTests {
    func get(_ client: some TestClientProtocol, _ uri: String, method: HTTPRequest.Method = .get) async throws -> (Int, HTTPFields, String) {
        try await client.execute(uri: uri, method: method, headers: [:], body: nil) { response in
            (Int(response.status.code), response.headers, String(buffer: response.body))
        }
    }

    @Test func servesThePageAndItsFilesWithSameOriginHeaders() async throws {
        let harness = HostHarness()
        try await harness.application.test(.router) { client in
            let (status, headers, page) = try await get(client, "/console")
            #expect(status == 200)
            #expect(headers[.contentType] == "text/html; charset=utf-8")
            #expect(page.contains("CalendlyDetailsForm") || page.contains("Calendly details"))
            #expect(page.contains(Copy.connectPrompt), "the empty state's copy is the core's")
            let policy = headers[HTTPField.Name("Content-Security-Policy")!] ?? ""
            #expect(policy.contains("default-src 'self'") && policy.contains("frame-ancestors 'none'"))
            #expect(headers[HTTPField.Name("X-Content-Type-Options")!] == "nosniff")
            // No CDN, nothing from elsewhere: every script and stylesheet is the console's own.
            #expect(!page.contains("http://") && !page.contains("https://"))

            let (scriptStatus, scriptHeaders, script) = try await get(client, "/console/console.js")
            #expect(scriptStatus == 200 && scriptHeaders[.contentType] == "text/javascript; charset=utf-8")
            #expect(script.contains("sessionStorage") && !script.contains("localStorage"), "tokens stay in the tab's session")
            #expect(!script.contains("innerHTML"), "server text is only ever set as text")
            let (styleStatus, styleHeaders, _) = try await get(client, "/console/console.css")
            #expect(styleStatus == 200 && styleHeaders[.contentType] == "text/css; charset=utf-8")
        }
    }

    @Test(arguments: ["/console/openapi.json", "/console/..%2Fopenapi.json", "/console/index.htm", "/console/%00", "/console/" + String(repeating: "a", count: 100_000)])
    func anyOtherFileIsNotFound(_ uri: String) async throws {
        let harness = HostHarness()
        try await harness.application.test(.router) { client in
            let (status, _, body) = try await get(client, uri)
            #expect(status == 404, "\(uri.prefix(40))")
            #expect(!body.contains("\"openapi\""))
        }
    }

    @Test func demoSessionTokensWorkForTheirRolesAndExpireWithinTheHour() async throws {
        let harness = HostHarness()
        try await harness.application.test(.router) { client in
            let (status, session, _) = try await client.call(.post, "/console/demo-session")
            #expect(status == 200)
            #expect(session["account"] as? String == "acme")
            let tokens = try #require(session["tokens"] as? [String: String])
            #expect(Set(tokens.keys) == ["admin", "supervisor", "runtime"])
            let expiry = try #require((session["expiresAt"] as? String).flatMap(Instant.init(iso8601:)))
            #expect(expiry == HostHarness.start + .hours(1))

            let admin = "Bearer " + (tokens["admin"] ?? ""), supervisor = "Bearer " + (tokens["supervisor"] ?? ""), runtime = "Bearer " + (tokens["runtime"] ?? "")
            #expect(try await client.call(.get, "/v1/agents/sales-bot/calendly", token: admin).0 == 200)
            #expect(try await client.call(.get, "/v1/agents/sales-bot/calendly/analytics?from=2026-11-01&to=2026-11-30", token: supervisor).0 == 200)
            #expect(try await client.call(.get, "/v1/agents/sales-bot/calendly", token: supervisor).0 == 404, "a supervisor does not configure")
            #expect(try await client.call(.get, "/v1/agents/sales-bot/calendly", token: runtime).0 == 404)
            // The runtime token reaches the runtime routes (404 here only because the conversation is new).
            let (replyStatus, reply, _) = try await client.call(.get, "/v1/conversations/c1/booking/messages", token: runtime)
            #expect(replyStatus == 404 && reply["error"] as? String == "not_found")

            harness.clock.advance(.hours(1))
            let expired = try await client.call(.get, "/v1/agents/sales-bot/calendly", token: admin)
            #expect(expired.0 == 401)
        }
    }

    /// With Calendly credentials the route behaves as if it did not exist: real callers get tokens from the platform.
    @Test func noDemoSessionInCalendlyMode() async throws {
        let harness = HostHarness()
        var configuration = harness.services.configuration
        configuration.clientID = "real-client"
        configuration.clientSecret = "real-secret"
        #expect(!configuration.demoMode)
        let counter = Mutex(0)
        let services = HostServices(runtime: harness.services.runtime, configuration: configuration, clientID: "real-client", signature: harness.signature,
                                    verifiers: MemoryVerifiers(), metrics: Metrics(), now: { harness.clock.now },
                                    newSecret: { counter.withLock { $0 += 1; return "s\($0)" } }, logger: .init(label: "test"))
        try await Application(router: buildRouter(services)).test(.router) { client in
            let (status, body, text) = try await client.call(.post, "/console/demo-session")
            #expect(status == 404 && body["error"] as? String == "not_found")
            #expect(!text.contains("token"))
            #expect(try await get(client, "/console").0 == 200, "the page itself is there: tokens are pasted")
        }
    }
}

/// The production assembly as a real process: `serve` says where the console is, and the page and its
/// files come out of the executable's resource bundle.
@Suite struct ConsoleServeTests {
    @Test func servePrintsTheConsoleURLAndServesItsFiles() async throws {
        let serve = try ServeProcess()
        try await serve.start()
        do { try await check(serve) } catch { _ = await serve.terminate(); throw error }
        _ = await serve.terminate()
    }

    func check(_ serve: ServeProcess) async throws {
        #expect(serve.banner.contains("  console: \(serve.base)/console"), "\(serve.banner.prefix(3))")
        let page = try await HTTPClient().send("GET", serve.base + "/console")
        #expect(page.status == 200 && page.text.contains("<title>CalendlyAction console</title>"))
        for file in ["console.js", "console.css"] {
            let reply = try await HTTPClient().send("GET", serve.base + "/console/" + file)
            #expect(reply.status == 200 && reply.text.count > 1000, "\(file)")
        }
        let session = try await HTTPClient().send("POST", serve.base + "/console/demo-session")
        let admin = try #require((session.object()["tokens"] as? [String: String])?["admin"])
        let agent = try await HTTPClient().send("GET", serve.base + "/v1/agents/sales-bot/calendly", token: admin)
        #expect(agent.status == 200, "the demo token is signed with serve's own key")
    }
}
