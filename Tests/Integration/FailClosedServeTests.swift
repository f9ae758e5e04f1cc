import Core
import Crypto
import Effects
import Foundation
import Testing
@testable import Host
@testable import Interpreters
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// Issue 10 against the production process (`serve` as a child): unauthenticated input writes nothing and
/// cannot stop it; signed garbage is acknowledged and dead-lettered; Calendly mode refuses to start
/// without its secrets.
@Suite(.serialized) struct FailClosedServeTests {
    let http = HTTPClient()

    /// Every table's row count, read beside the running server (WAL: a consistent snapshot).
    static func rowCounts(_ databasePath: String) throws -> [String: Int64] {
        let db = try Database(path: databasePath, readOnly: true)
        let tables = try db.rows("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name") { $0.text(0) ?? "" }
        var counts: [String: Int64] = [:]
        for table in tables { counts[table] = try db.scalarInt("SELECT COUNT(*) FROM \"\(table)\"") ?? -1 }
        return counts
    }

    /// A raw request: any headers, any bytes.
    static func send(_ method: String, _ url: String, headers: [String: String] = [:], body: [UInt8]? = nil) async throws -> HTTPClient.Reply {
        var request = URLRequest(url: URL(string: url)!)
        request.httpMethod = method
        request.timeoutInterval = 20
        for (name, value) in headers { request.setValue(value, forHTTPHeaderField: name) }
        if let body { request.httpBody = Data(body) }
        let (data, response) = try await URLSession.shared.data(for: request)
        return HTTPClient.Reply(status: (response as? HTTPURLResponse)?.statusCode ?? 0, text: String(decoding: data, as: UTF8.self))
    }

    @Test func unauthenticatedRequestsWriteNothingAndSignedGarbageIsDeadLettered() async throws {
        let serve = try ServeProcess()
        try await serve.start()
        defer { Task { _ = await serve.terminate() } }
        let admin = try #require(serve.token("admin"))
        // An admin starts connecting (authenticated writes happen here), so the agent has a pending state to forge against.
        let connect = try await http.send("POST", serve.base + "/v1/agents/sales-bot/calendly/connect", token: admin)
        #expect(connect.status == 200, "\(connect.text)")
        let before = try Self.rowCounts(serve.dataDirectory + "/calendly-action.sqlite")
        #expect(before["webhook_dead_letters"] == 0)

        let webhook = serve.base + "/v1/webhooks/calendly"
        let zeros = String(repeating: "0", count: 64)
        let body = Array(#"{"event":"invitee.created","payload":{}}"#.utf8)
        // The three headers of the issue (each used to trap the process), and their relatives.
        for t in ["9223372036854775807", "-9223372036854775808", "10000000000000000", "999999999999", "0", "abc"] {
            let reply = try await Self.send("POST", webhook, headers: ["Calendly-Webhook-Signature": "t=\(t),v1=\(zeros)", "Content-Type": "application/json"], body: body)
            #expect(reply.status == 401, "t=\(t): \(reply.status)")
        }
        #expect(try await Self.send("POST", webhook, headers: ["Content-Type": "application/json"], body: body).status == 401)
        #expect(try await Self.send("POST", webhook, headers: ["Calendly-Webhook-Signature": "t=1,v1=\(zeros)"], body: [0xff, 0xfe, 0xc3, 0x28]).status == 401)
        #expect(try await Self.send("POST", webhook, headers: ["Calendly-Webhook-Signature": String(repeating: "v1=\(zeros),", count: 100)], body: body).status == 401)
        // Forged OAuth callbacks: the state names the agent but is not the one it waits for; or names nobody.
        let agentPart = PlatformToken.base64URL(Data("acme:sales-bot".utf8))
        for query in ["state=\(agentPart).forged-nonce&code=abc", "state=\(agentPart).forged-nonce&error=access_denied", "state=\(agentPart).x",
                      "state=\(PlatformToken.base64URL(Data("acme:nobody".utf8))).n&code=c", "state=garbage&code=c", "code=c"] {
            let reply = try await http.send("GET", serve.base + "/v1/oauth/calendly/callback?" + query)
            #expect(reply.status == 400, "\(query): \(reply.status) \(reply.text)")
        }
        #expect(try await http.send("GET", serve.base + "/health").status == 200, "still up")
        #expect(try Self.rowCounts(serve.dataDirectory + "/calendly-action.sqlite") == before, "no row for any unauthenticated request")
        let metrics = try await http.send("GET", serve.base + "/metrics").text
        #expect(metrics.contains(#"calendly_unauthenticated_requests_total{reason="malformed_signature",route="/v1/webhooks/calendly"} 5"#), "\(metrics)")
        // The reducer refuses the forged states (nothing journaled for a refusal); one callback had neither code nor error.
        #expect(metrics.contains(#"calendly_unauthenticated_requests_total{reason="unknown_oauth_state",route="/v1/oauth/calendly/callback"} 5"#))
        #expect(metrics.contains(#"calendly_unauthenticated_requests_total{reason="missing_code",route="/v1/oauth/calendly/callback"} 1"#))
        // At most one log line a minute per route for all of that.
        #expect(serve.stderrText().components(separatedBy: "unauthenticated request refused").count - 1 <= 4)

        // Signed with the deployment's key but unreadable: acknowledged, kept once, counted — nothing else written.
        let keys = try JSONDecoder().decode(DevelopmentKeys.self, from: Data(contentsOf: URL(fileURLWithPath: serve.dataDirectory + "/dev-keys.json")))
        let signer = WebhookSignature(key: keys.webhookSigningKey, hmac: CryptoHMAC.sha256)
        let now = Instant(millisecondsSince1970: Int64(Date().timeIntervalSince1970 * 1000))
        let garbage = Array(#"{"event":"invitee.created","payload":{"email":"Dee@Example.com"}}"#.utf8)
        let reply = try await Self.send("POST", webhook, headers: ["Calendly-Webhook-Signature": signer.header(for: garbage, at: now), "Content-Type": "application/json"], body: garbage)
        #expect(reply.status == 200 && reply.object()["status"] as? String == "dead_lettered", "\(reply.text)")
        var expected = before
        expected["webhook_dead_letters", default: 0] += 1
        expected["telemetry", default: 0] += 1
        #expect(try Self.rowCounts(serve.dataDirectory + "/calendly-action.sqlite") == expected)
        let kept = try SQLiteStore(path: serve.dataDirectory + "/calendly-action.sqlite").transaction { try $0.deadLetters() }
        #expect(kept.map(\.reason) == ["missing_field:payload.uri"])
        let keptBody = String(decoding: kept.first?.body ?? [], as: UTF8.self)
        #expect(!keptBody.contains("Dee@") && keptBody.contains("@example.invalid"), "emails are redacted like the journal's")
        let after = try await http.send("GET", serve.base + "/metrics").text
        #expect(after.contains("calendly_webhook_dead_letters_total 1"))
        #expect(after.contains(#"calendly_alerts_fired_total{rule="webhook_dead_letters"} 1"#), "\(after)")
        #expect(await serve.terminate() == 0)
    }

    /// The journal `serve` writes hashes emails under JOURNAL_REDACTION_KEY — not the public fallback key —
    /// so the placeholders in a shared export cannot be matched against a dictionary of addresses.
    @Test func serveRedactsJournalEmailsUnderTheDeploymentKey() async throws {
        let key = "a-journal-redaction-key-for-tests"
        let serve = try ServeProcess(environment: ["JOURNAL_REDACTION_KEY": key])
        try await serve.start()
        _ = try await serve.connectAndSave(serve.quickAction)
        let runtime = try #require(serve.token("runtime"))
        let offer = try await http.send("POST", serve.base + "/v1/conversations/c-1/booking/offer", token: runtime,
                                        json: #"{"agentId":"sales-bot","channel":"text","timeZone":"UTC","contact":{"contact.email":"Dee@Example.com"}}"#)
        #expect(offer.status == 200, "\(offer.text)")
        #expect(await serve.terminate() == 0)
        let rows = try SQLiteStore(path: serve.dataDirectory + "/calendly-action.sqlite").transaction { try $0.journal(stream: "conversation:acme:c-1") }
        let text = rows.map(\.payload).joined(separator: "\n")
        #expect(!rows.isEmpty && !text.lowercased().contains("dee@example.com"))
        let keyed = Redaction.redactToken("dee@example.com", key: SymmetricKey(data: Array(key.utf8)))
        #expect(text.contains(keyed), "placeholder under the deployment key")
        #expect(!text.contains(Redaction.redactToken("dee@example.com", key: Redaction.publicKey)))
    }

    @Test func calendlyModeRefusesToStartWithoutItsSecrets() async throws {
        let serve = try ServeProcess(environment: [
            "CALENDLY_CLIENT_ID": "id-value-1", "CALENDLY_CLIENT_SECRET": "secret-value-1", "CALENDLY_WEBHOOK_SIGNING_KEY": "",
        ])
        await #expect(throws: ServeProcess.Failure.self) { try await serve.start(timeout: .seconds(30)) }
        serve.process.waitUntilExit()
        #expect(serve.process.terminationStatus == 2)
        let errors = serve.stderrText()
        for name in ["PLATFORM_JWT_SECRET", "TOKEN_ENCRYPTION_KEY", "CALENDLY_WEBHOOK_SIGNING_KEY", "JOURNAL_REDACTION_KEY"] {
            #expect(errors.contains("\(name) is required"), "\(name): \(errors)")
        }
        #expect(!errors.contains("id-value-1") && !errors.contains("secret-value-1"), "values are never echoed")
        #expect(!FileManager.default.fileExists(atPath: serve.dataDirectory + "/dev-keys.json"), "no development keys in Calendly mode")
        #expect(serve.banner.isEmpty, "no tokens printed")
    }

    @Test func eachMissingSecretIsNamedOnItsOwn() throws {
        let complete = [
            "CALENDLY_CLIENT_ID": "id", "CALENDLY_CLIENT_SECRET": "secret", "CALENDLY_WEBHOOK_SIGNING_KEY": "a-webhook-signing-key-of-some-length",
            "PLATFORM_JWT_SECRET": "a-platform-jwt-secret-for-tests", "TOKEN_ENCRYPTION_KEY": "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=",
            "JOURNAL_REDACTION_KEY": "a-journal-redaction-key-for-tests",
        ]
        let directory = NSTemporaryDirectory() + "config-\(UUID().uuidString)"
        let loaded = try HostConfiguration.load(environment: complete, host: "127.0.0.1", port: 8080, dataDirectory: directory)
        #expect(!loaded.demoMode && loaded.journalRedactionKey == Array("a-journal-redaction-key-for-tests".utf8))
        #expect(!FileManager.default.fileExists(atPath: directory + "/dev-keys.json"))
        for name in HostConfiguration.requiredSecrets {
            for missing in [nil, "", "   "] {
                var environment = complete
                environment[name] = missing
                do {
                    _ = try HostConfiguration.load(environment: environment, host: "127.0.0.1", port: 8080, dataDirectory: directory)
                    Issue.record("started without \(name)")
                } catch let invalid as HostConfiguration.Invalid {
                    #expect(invalid.problems.contains { $0.hasPrefix("\(name) is required") }, "\(invalid.problems)")
                }
            }
        }
        var badPolicy = complete
        badPolicy["PLATFORM_JWT_MAX_LIFETIME_HOURS"] = "9223372036854775807"
        #expect(throws: HostConfiguration.Invalid.self) { try HostConfiguration.load(environment: badPolicy, host: "127.0.0.1", port: 8080, dataDirectory: directory) }
        var policy = complete
        policy["PLATFORM_JWT_ISSUER"] = "https://platform.example"
        policy["PLATFORM_JWT_AUDIENCE"] = "calendly-action"
        policy["PLATFORM_JWT_MAX_LIFETIME_HOURS"] = "2"
        let configured = try HostConfiguration.load(environment: policy, host: "127.0.0.1", port: 8080, dataDirectory: directory)
        #expect(configured.tokenPolicy == PlatformToken.Policy(issuer: "https://platform.example", audience: "calendly-action", maxLifetime: .hours(2)))
    }

    @Test func demoModeGeneratesARedactionKeyEvenForAnOlderKeyFile() throws {
        let directory = NSTemporaryDirectory() + "keys-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        // A key file from before issue 10 has no journal redaction key.
        let old = #"{"jwtSecret":[1,2,3],"tokenEncryptionKey":[4,5,6],"webhookSigningKey":[7,8,9]}"#
        #expect(FileManager.default.createFile(atPath: directory + "/dev-keys.json", contents: Data(old.utf8), attributes: [.posixPermissions: 0o600]))
        let first = try HostConfiguration.load(environment: [:], host: "127.0.0.1", port: 8080, dataDirectory: directory)
        #expect(first.jwtSecret == [1, 2, 3], "existing keys are kept")
        #expect(first.journalRedactionKey.count == 32)
        let second = try HostConfiguration.load(environment: [:], host: "127.0.0.1", port: 8080, dataDirectory: directory)
        #expect(second.journalRedactionKey == first.journalRedactionKey, "generated once, then stored")
        let mode = try FileManager.default.attributesOfItem(atPath: directory + "/dev-keys.json")[.posixPermissions] as? Int
        #expect(mode == 0o600)
    }
}
