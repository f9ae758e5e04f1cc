import Core
import Effects
import Foundation
import Testing
@testable import Host
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
#if canImport(Glibc)
import Glibc
#endif

/// `calendly-action serve` as a child process on free ports with its own data directory — the
/// process a new user starts, driven over real HTTP.
final class ServeProcess: @unchecked Sendable {
    let process = Process()
    let port: Int
    let emulatorPort: Int
    let dataDirectory: String
    private(set) var banner: [String] = []
    /// Set when the test gave serve a `PLATFORM_JWT_SECRET`: serve prints no tokens then (issue 10), the test signs its own.
    let jwtSecret: String?
    private let output = Pipe()
    /// stderr goes to a file, not a pipe: nobody drains a pipe while the test runs, so a chatty serve
    /// filled it (64 KiB) and blocked on its next log line, and reading a live pipe with nothing in it blocked
    /// the test — either way the suite hung instead of failing.
    private let errorsPath = NSTemporaryDirectory() + "serve-stderr-\(UUID().uuidString).log"
    var base: String { "http://127.0.0.1:\(port)" }
    var emulator: String { "http://127.0.0.1:\(emulatorPort)" }

    struct Failure: Error, CustomStringConvertible { var description: String }

    init(dataDirectory: String? = nil, environment extra: [String: String] = [:]) throws {
        port = try Self.freePort()
        var other = try Self.freePort()
        while other == port { other = try Self.freePort() }
        emulatorPort = other
        self.dataDirectory = dataDirectory ?? NSTemporaryDirectory() + "serve-\(UUID().uuidString)"
        process.executableURL = try Self.executable()
        process.arguments = ["serve", "--port", "\(port)", "--emulator-port", "\(emulatorPort)", "--data-dir", self.dataDirectory]
        // A fresh clone's environment: nothing of ours set.
        var environment = ["PATH": ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin", "LOG_LEVEL": "warning"]
        environment.merge(extra) { $1 }
        jwtSecret = extra["PLATFORM_JWT_SECRET"]
        process.environment = environment
        process.standardOutput = output
        guard FileManager.default.createFile(atPath: errorsPath, contents: nil),
              let errors = FileHandle(forWritingAtPath: errorsPath) else { throw CocoaError(.fileWriteUnknown) }
        process.standardError = errors
    }

    /// Starts and waits for the banner (the line with the runtime token comes last).
    func start(timeout: Duration = .seconds(60)) async throws {
        try process.run()
        let reader = output.fileHandleForReading
        let deadline = ContinuousClock.now + timeout
        var buffer = Data()
        while ContinuousClock.now < deadline {
            let chunk = reader.availableData
            if chunk.isEmpty {
                guard process.isRunning else {
                    process.waitUntilExit()
                    throw Failure(description: "serve exited: \(stderrText())")
                }
                try await Task.sleep(for: .milliseconds(50))
                continue
            }
            buffer.append(chunk)
            banner = String(decoding: buffer, as: UTF8.self).split(separator: "\n").map(String.init)
            // The banner is one write; with tokens printed their last line ends it, without them the first line is enough.
            if banner.contains(where: { $0.contains("runtime token") }) || (jwtSecret != nil && banner.contains(where: { $0.contains("database:") })) {
                // Demo mode: the emulator in the same process must answer too before a test talks to it.
                if banner.contains(where: { $0.contains("demo mode") }) { try await waitForEmulator(until: deadline) }
                return
            }
        }
        throw Failure(description: "serve printed no banner in time: \(banner)")
    }

    func waitForEmulator(until deadline: ContinuousClock.Instant) async throws {
        while ContinuousClock.now < deadline {
            if let reply = try? await HTTPClient().send("GET", emulator + "/_emulator/state"), reply.status == 200 { return }
            guard process.isRunning else { throw Failure(description: "serve exited: \(stderrText())") }
            try await Task.sleep(for: .milliseconds(100))
        }
        throw Failure(description: "the demo emulator at \(emulator) never answered; serve said: \(stderrText())")
    }

    func token(_ role: String) -> String? {
        if let jwtSecret, let role = Role(rawValue: role) {
            let principal = Principal(subject: "dev-\(role.rawValue)", account: AccountID("acme"), role: role, features: [Access.feature],
                                      addons: [Access.addon], flags: [Access.flag])
            let now = Instant(millisecondsSince1970: Int64(Date().timeIntervalSince1970 * 1000))
            return PlatformToken(secret: Array(jwtSecret.utf8)).sign(principal, issuedAt: now, lifetime: .hours(1))
        }
        return banner.first { $0.contains("\(role) token") }.flatMap { $0.split(separator: " ").last.map(String.init) }
    }

    /// SIGTERM (graceful) and the exit status.
    func terminate() async -> Int32 {
        guard process.isRunning else { return process.terminationStatus }
        process.terminate()
        for _ in 0..<200 where process.isRunning { try? await Task.sleep(for: .milliseconds(50)) }
        if process.isRunning { kill(process.processIdentifier, SIGKILL); process.waitUntilExit() }
        return process.terminationStatus
    }

    /// What the process wrote to stderr so far (the whole of it once it has exited). Never blocks.
    func stderrText() -> String {
        String(decoding: FileManager.default.contents(atPath: errorsPath) ?? Data(), as: UTF8.self)
    }

    /// A port nobody listens on, below Linux's ephemeral range (32768–60999), so that no outgoing
    /// connection of a parallel test or process picks it between this check and the server's bind.
    static func freePort() throws -> Int {
        for _ in 0..<200 {
            let candidate = Int.random(in: 20_000..<32_000)
            if canBind(candidate) { return candidate }
        }
        throw Failure(description: "no free port in 20000–32000")
    }

    static func canBind(_ port: Int) -> Bool {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = UInt16(port).bigEndian
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let length = socklen_t(MemoryLayout<sockaddr_in>.size)
        return withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) } } == 0
    }

    /// The `calendly-action` product built beside the test bundle (`swift build --build-tests` builds it).
    static func executable() throws -> URL {
        let candidates = [
            URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("calendly-action"),
            URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
                .appendingPathComponent(".build/debug/calendly-action"),
        ]
        guard let found = candidates.first(where: { FileManager.default.isExecutableFile(atPath: $0.path) }) else {
            throw Failure(description: "calendly-action not built (looked at \(candidates.map(\.path)))")
        }
        return found
    }
}

/// Plain HTTP for the end-to-end tests (URLSession follows the OAuth redirects like a browser).
struct HTTPClient: Sendable {
    struct Reply: Sendable {
        var status: Int
        var text: String
        func object() -> [String: Any] { (try? JSONSerialization.jsonObject(with: Data(text.utf8))) as? [String: Any] ?? [:] }
    }

    func send(_ method: String, _ url: String, token: String? = nil, json: String? = nil) async throws -> Reply {
        var request = URLRequest(url: URL(string: url)!)
        request.httpMethod = method
        request.timeoutInterval = 20
        if let token { request.setValue("Bearer \(token)", forHTTPHeaderField: "Authorization") }
        if let json {
            request.setValue("application/json", forHTTPHeaderField: "Content-Type")
            request.httpBody = Data(json.utf8)
        }
        let (data, response) = try await URLSession.shared.data(for: request)
        return Reply(status: (response as? HTTPURLResponse)?.statusCode ?? 0, text: String(decoding: data, as: UTF8.self))
    }
}

extension ServeProcess {
    /// The action most serve tests book on: the emulator's "Quick chat", no questions, email from the contact.
    var quickAction: String {
        #"{"eventType":"\#(emulator)/event_types/ET-QUICK","emailField":"contact.email","questionMappings":[],"trigger":"t","confirmationMessage":"","enabled":true}"#
    }

    /// S01 + S02 through the routes, as an admin would: connect through the emulator's OAuth, then save
    /// `action`. Returns the agent's admin base URL.
    @discardableResult
    func connectAndSave(_ action: String, agent: String = "sales-bot") async throws -> String {
        let http = HTTPClient()
        let admin = try #require(token("admin"))
        let base = self.base + "/v1/agents/\(agent)/calendly"
        let authorize = try #require(try await http.send("POST", base + "/connect", token: admin).object()["authorizeUrl"] as? String)
        #expect(try await http.send("GET", authorize).status == 200)
        #expect(try await http.send("PUT", base + "/action", token: admin, json: action).status == 200)
        return base
    }

    /// The analytics totals of `agent` over the months around now, read with the banner's admin token.
    func totals(agent: String = "sales-bot") async throws -> [String: Int] {
        guard let admin = token("admin") else { throw Failure(description: "no admin token in the banner") }
        let reply = try await HTTPClient().send("GET", base + "/v1/agents/\(agent)/calendly/analytics?from=2026-11-01&to=2027-01-31", token: admin)
        return (reply.object()["totals"] as? [String: Any] ?? [:]).compactMapValues { $0 as? Int }
    }
}

/// `calendly-action emulate` as a child process on a free port: Calendly for a `serve` run with credentials.
/// `serve` in Calendly mode against a separate `emulate` at `calendly`: the emulator's OAuth client and
/// signing key, plus the secrets Calendly mode refuses to start without (issue 10).
func calendlyModeEnvironment(calendly: String, signingKey: String = "calendly-emulator-development-signing-key") -> [String: String] {
    ["CALENDLY_CLIENT_ID": "emulator-client-id", "CALENDLY_CLIENT_SECRET": "emulator-client-secret",
     "CALENDLY_WEBHOOK_SIGNING_KEY": signingKey, "CALENDLY_API_BASE": calendly, "CALENDLY_AUTH_BASE": calendly,
     "PLATFORM_JWT_SECRET": "a-platform-jwt-secret-for-tests", "TOKEN_ENCRYPTION_KEY": "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=",
     "JOURNAL_REDACTION_KEY": "a-journal-redaction-key-for-tests"]
}

final class EmulateProcess: @unchecked Sendable {
    let process = Process()
    let base: String

    /// Starts it (with `arguments` after the port, e.g. `--non-admin`) and waits until it answers.
    init(arguments: [String] = []) async throws {
        let port = try ServeProcess.freePort()
        base = "http://127.0.0.1:\(port)"
        process.executableURL = try ServeProcess.executable()
        process.arguments = ["emulate", "--port", "\(port)"] + arguments
        process.standardOutput = Pipe()
        try process.run()
        let http = HTTPClient()
        let base = self.base
        guard try await eventually({ (try? await http.send("GET", base + "/_emulator/state"))?.status == 200 }) else {
            stop()
            throw ServeProcess.Failure(description: "emulate never answered on \(base)")
        }
    }

    func stop() {
        guard process.isRunning else { return }
        process.terminate()
        process.waitUntilExit()
    }
}

/// Webhooks and background work arrive asynchronously: polls `condition` for up to ten seconds.
func eventually(_ condition: () async throws -> Bool) async throws -> Bool {
    for _ in 0..<100 {
        if try await condition() { return true }
        try await Task.sleep(for: .milliseconds(100))
    }
    return false
}
