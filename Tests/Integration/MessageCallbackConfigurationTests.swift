import Foundation
import Testing
@testable import Host

/// `MESSAGE_CALLBACK_URL` / `MESSAGE_CALLBACK_SECRET` (issue 11): a callback is always signed, so a URL
/// without a usable secret refuses to start — in Calendly mode as a real process (exit 2) — and neither
/// value is ever echoed (a callback URL often carries the platform's token).
@Suite struct MessageCallbackConfigurationTests {
    static let calendly = [
        "CALENDLY_CLIENT_ID": "id", "CALENDLY_CLIENT_SECRET": "secret", "CALENDLY_WEBHOOK_SIGNING_KEY": "a-webhook-signing-key-of-some-length",
        "PLATFORM_JWT_SECRET": "a-platform-jwt-secret-for-tests", "TOKEN_ENCRYPTION_KEY": "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=",
        "JOURNAL_REDACTION_KEY": "a-journal-redaction-key-for-tests",
    ]
    static let url = "https://chat.example/hooks/calendly?token=platform-token-value"

    static func problems(_ extra: [String: String]) -> [String] {
        let directory = NSTemporaryDirectory() + "callback-config-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: directory) }
        do {
            _ = try HostConfiguration.load(environment: calendly.merging(extra) { $1 }, host: "127.0.0.1", port: 8080, dataDirectory: directory)
            return []
        } catch let invalid as HostConfiguration.Invalid {
            return invalid.problems
        } catch {
            return ["\(error)"]
        }
    }

    @Test func aCallbackURLNeedsASecretOfAtLeastSixteenBytesAndAnHTTPURL() throws {
        #expect(Self.problems(["MESSAGE_CALLBACK_URL": Self.url]) == ["MESSAGE_CALLBACK_SECRET is required when MESSAGE_CALLBACK_URL is set (it signs every callback)"])
        #expect(Self.problems(["MESSAGE_CALLBACK_URL": Self.url, "MESSAGE_CALLBACK_SECRET": "short"]) == ["MESSAGE_CALLBACK_SECRET must be at least 16 bytes"])
        for bad in ["ftp://chat.example/x", "chat.example/x", "https://", "http://\u{0}x"] {
            let problems = Self.problems(["MESSAGE_CALLBACK_URL": bad, "MESSAGE_CALLBACK_SECRET": "a-callback-secret-for-tests"])
            #expect(problems == ["MESSAGE_CALLBACK_URL must be an http(s) URL"], "\(bad): \(problems)")
        }
        #expect(Self.problems(["MESSAGE_CALLBACK_SECRET": "a-callback-secret-for-tests"]).isEmpty, "a secret alone turns nothing on")

        let directory = NSTemporaryDirectory() + "callback-config-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let on = try HostConfiguration.load(environment: Self.calendly.merging(["MESSAGE_CALLBACK_URL": Self.url, "MESSAGE_CALLBACK_SECRET": "a-callback-secret-for-tests"]) { $1 },
                                            host: "127.0.0.1", port: 8080, dataDirectory: directory)
        #expect(on.messageCallbackURL == Self.url && on.messageCallbackSecret == Array("a-callback-secret-for-tests".utf8))
        let off = try HostConfiguration.load(environment: Self.calendly, host: "127.0.0.1", port: 8080, dataDirectory: directory)
        #expect(off.messageCallbackURL == nil)
    }

    @Test func serveInCalendlyModeRefusesACallbackURLWithoutASecret() async throws {
        let serve = try ServeProcess(environment: Self.calendly.merging(["MESSAGE_CALLBACK_URL": Self.url]) { $1 })
        await #expect(throws: ServeProcess.Failure.self) { try await serve.start(timeout: .seconds(30)) }
        serve.process.waitUntilExit()
        #expect(serve.process.terminationStatus == 2)
        let errors = serve.stderrText()
        #expect(errors.contains("MESSAGE_CALLBACK_SECRET is required"), "\(errors)")
        #expect(!errors.contains("platform-token-value"), "the URL is never echoed: \(errors)")
    }
}
