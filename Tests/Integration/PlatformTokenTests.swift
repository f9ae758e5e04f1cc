import Core
import Crypto
import Effects
import Foundation
import Testing
@testable import Host

/// Issue 10 item 6: the platform token verifier fails closed. Each test builds the token by hand (header,
/// claims, signature), so what is refused is exactly the rule under test.
@Suite struct PlatformTokenTests {
    static let secret = Array("a-platform-jwt-secret-for-tests".utf8)
    static let now = Instant(iso8601: "2026-11-25T03:00:00Z")!
    static var seconds: Int64 { now.secondsSince1970 }

    static func encode(_ object: [String: Any]) -> String {
        PlatformToken.base64URL(try! JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]))
    }

    static func claims(_ changes: [String: Any?] = [:]) -> [String: Any] {
        var claims: [String: Any] = ["sub": "u1", "account": "acme", "role": "admin", "features": [Access.feature], "addons": [Access.addon],
                                     "flags": [Access.flag], "iat": seconds, "exp": seconds + 3600]
        for (key, value) in changes { claims[key] = value }
        return claims
    }

    /// "Bearer <header>.<claims>.<HS256 signature>" (or a signature of another algorithm, or none).
    static func token(header: [String: Any] = ["alg": "HS256", "typ": "JWT"], claims: [String: Any] = claims(), sign: String = "HS256") -> String {
        let input = encode(header) + "." + encode(claims)
        let key = SymmetricKey(data: secret)
        let signature: Data
        switch sign {
        case "HS512": signature = Data(HMAC<SHA512>.authenticationCode(for: Data(input.utf8), using: key))
        case "none": signature = Data()
        default: signature = Data(HMAC<SHA256>.authenticationCode(for: Data(input.utf8), using: key))
        }
        return "Bearer " + input + "." + PlatformToken.base64URL(signature)
    }

    static func verify(_ token: String, policy: PlatformToken.Policy = .init()) -> Result<Principal, PlatformToken.Failure> {
        PlatformToken(secret: secret, policy: policy).verify(authorization: token, now: now)
    }

    static func failure(_ token: String, policy: PlatformToken.Policy = .init()) -> PlatformToken.Failure? {
        if case .failure(let failure) = verify(token, policy: policy) { return failure }
        return nil
    }

    @Test func aWellFormedTokenIsAccepted() {
        guard case .success(let principal) = Self.verify(Self.token()) else { Issue.record("refused"); return }
        #expect(principal.account == AccountID("acme") && principal.role == .admin)
        // A clock 30 s behind the platform's is within the skew.
        #expect(Self.failure(Self.token(claims: Self.claims(["iat": Self.seconds + 30, "nbf": Self.seconds + 30]))) == nil)
    }

    @Test func otherAlgorithmsAreRefused() {
        #expect(Self.failure(Self.token(header: ["alg": "none", "typ": "JWT"], sign: "none")) == .unsupportedAlgorithm)
        #expect(Self.failure(Self.token(header: ["alg": "none"], sign: "HS256")) == .unsupportedAlgorithm)
        #expect(Self.failure(Self.token(header: ["alg": "HS512", "typ": "JWT"], sign: "HS512")) == .unsupportedAlgorithm)
        #expect(Self.failure(Self.token(header: ["alg": "hs256"])) == .unsupportedAlgorithm)
        #expect(Self.failure(Self.token(header: ["typ": "JWT"])) == .unsupportedAlgorithm)
        #expect(Self.failure(Self.token(header: ["alg": "RS256"])) == .unsupportedAlgorithm)
    }

    @Test func aCriticalHeaderIsRefused() {
        #expect(Self.failure(Self.token(header: ["alg": "HS256", "crit": ["exp"], "exp": Self.seconds + 60])) == .unsupportedHeader)
        #expect(Self.failure(Self.token(header: ["alg": "HS256", "crit": []])) == .unsupportedHeader)
    }

    @Test func timesAreChecked() {
        #expect(Self.failure(Self.token(claims: Self.claims(["exp": nil]))) == .invalidClaims, "exp is required")
        #expect(Self.failure(Self.token(claims: Self.claims(["exp": "tomorrow"]))) == .invalidClaims)
        #expect(Self.failure(Self.token(claims: Self.claims(["exp": Self.seconds]))) == .expired)
        #expect(Self.failure(Self.token(claims: Self.claims(["nbf": Self.seconds + 365 * 86_400]))) == .notYetValid, "nbf a year ahead")
        #expect(Self.failure(Self.token(claims: Self.claims(["iat": Self.seconds + 10 * 365 * 86_400, "exp": Self.seconds + 10 * 365 * 86_400 + 60]))) == .notYetValid,
                "iat ten years ahead")
        #expect(Self.failure(Self.token(claims: Self.claims(["iat": Self.seconds + 120]))) == .notYetValid, "beyond the 60 s skew")
    }

    @Test func theLifetimeIsCapped() {
        #expect(Self.failure(Self.token(claims: Self.claims(["exp": Self.seconds + 25 * 3600]))) == .lifetimeTooLong)
        #expect(Self.failure(Self.token(claims: Self.claims(["iat": nil, "exp": Self.seconds + 25 * 3600]))) == .lifetimeTooLong, "without iat: from now")
        #expect(Self.failure(Self.token(claims: Self.claims(["iat": Self.seconds - 48 * 3600, "exp": Self.seconds + 60]))) == .lifetimeTooLong,
                "issued two days ago for two days")
        #expect(Self.failure(Self.token(claims: Self.claims(["iat": Int64.min, "exp": Int64.max]))) == .lifetimeTooLong, "extremes saturate, no trap")
        #expect(Self.failure(Self.token(claims: Self.claims(["iat": Int64.max, "exp": Int64.max]))) == .notYetValid)
        #expect(Self.failure(Self.token(claims: Self.claims(["exp": Self.seconds + 24 * 3600]))) == nil, "24 h is the default maximum")
        let short = PlatformToken.Policy(maxLifetime: .hours(1))
        #expect(Self.failure(Self.token(claims: Self.claims(["exp": Self.seconds + 2 * 3600])), policy: short) == .lifetimeTooLong)
    }

    @Test func accountsFollowThePathIdRule() {
        for account in ["x:y", ".", "..", "", "a/b", "acme corp", String(repeating: "a", count: 129), "ａｃｍｅ"] {
            #expect(Self.failure(Self.token(claims: Self.claims(["account": account]))) == .invalidClaims, "\(account)")
        }
        #expect(Self.failure(Self.token(claims: Self.claims(["account": "acme.eu-1_x"]))) == nil)
        #expect(Self.failure(Self.token(claims: Self.claims(["sub": ""]))) == .invalidClaims)
        #expect(Self.failure(Self.token(claims: Self.claims(["role": "owner"]))) == .invalidClaims)
    }

    @Test func issuerAndAudienceAreCheckedWhenConfigured() {
        let policy = PlatformToken.Policy(issuer: "https://platform.example", audience: "calendly-action")
        #expect(Self.failure(Self.token(), policy: policy) == .wrongIssuer, "no iss")
        #expect(Self.failure(Self.token(claims: Self.claims(["iss": "https://evil.example", "aud": "calendly-action"])), policy: policy) == .wrongIssuer)
        #expect(Self.failure(Self.token(claims: Self.claims(["iss": "https://platform.example"])), policy: policy) == .wrongAudience, "no aud")
        #expect(Self.failure(Self.token(claims: Self.claims(["iss": "https://platform.example", "aud": "other"])), policy: policy) == .wrongAudience)
        #expect(Self.failure(Self.token(claims: Self.claims(["iss": "https://platform.example", "aud": "calendly-action"])), policy: policy) == nil)
        #expect(Self.failure(Self.token(claims: Self.claims(["iss": "https://platform.example", "aud": ["other", "calendly-action"]])), policy: policy) == nil)
        // Not configured: not checked.
        #expect(Self.failure(Self.token(claims: Self.claims(["iss": "anyone", "aud": "anything"]))) == nil)
        // What this service signs passes its own policy.
        let signer = PlatformToken(secret: Self.secret, policy: policy)
        let principal = Principal(subject: "dev", account: AccountID("acme"), role: .runtime, features: [], addons: [], flags: [])
        #expect(Self.failure("Bearer " + signer.sign(principal, issuedAt: Self.now, lifetime: .hours(24)), policy: policy) == nil)
    }

    @Test func malformedTokensAreRefused() {
        let good = Self.token()
        #expect(Self.failure("Bearer " + String(repeating: "a", count: 9_000)) == .malformed)
        #expect(Self.failure("Bearer +" + good.dropFirst(7)) == .malformed, "outside the base64url alphabet")
        #expect(Self.failure(good + "=") == .malformed, "padding is not base64url")
        #expect(Self.failure("Bearer a.b") == .malformed)
        #expect(Self.failure("Basic dXNlcjpwYXNz") == .missing)
        #expect(Self.failure(String(good.dropLast(2)) + (good.hasSuffix("AA") ? "BA" : "AA")) == .badSignature)
        #expect(Self.failure("Bearer " + Self.encode(["alg": "HS256"]) + "." + PlatformToken.base64URL(Data([0xff, 0xfe])) + ".AAAA") != nil)
    }

    @Test func theTokenCommandIssuesTokensTheVerifierAccepts() throws {
        let directory = NSTemporaryDirectory() + "token-\(UUID().uuidString)"
        func run(_ arguments: [String]) throws -> (Int32, String) {
            let process = Process()
            process.executableURL = try ServeProcess.executable()
            process.arguments = ["token"] + arguments + ["--data-dir", directory]
            process.environment = ["PATH": ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"]
            let output = Pipe()
            process.standardOutput = output
            process.standardError = Pipe()
            try process.run()
            process.waitUntilExit()
            return (process.terminationStatus, String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self))
        }
        let (status, printed) = try run(["--role", "runtime"])
        #expect(status == 0)
        let keys = try JSONDecoder().decode(DevelopmentKeys.self, from: Data(contentsOf: URL(fileURLWithPath: directory + "/dev-keys.json")))
        let verifier = PlatformToken(secret: keys.jwtSecret)
        let wallNow = Instant(millisecondsSince1970: Int64(Date().timeIntervalSince1970 * 1000))
        guard case .success(let principal) = verifier.verify(authorization: "Bearer " + printed.trimmingCharacters(in: .whitespacesAndNewlines), now: wallNow) else {
            Issue.record("the token command's token was refused"); return
        }
        #expect(principal.role == .runtime)
        #expect(try run(["--hours", "48"]).0 != 0, "a token longer than the verifier accepts is not issued")
        #expect(try run(["--account", ".."]).0 != 0)
    }
}

/// Every combination of extreme `exp`, `iat` and `nbf` gets a verdict (no overflow trap), and the verdict
/// is the rule's: accepted exactly when not expired, not from the future, and not too long-lived.
@Suite struct PlatformTokenExtremeTimesTests {
    @Test func extremeClaimTimesNeverTrapAndFollowTheRules() {
        let now = PlatformTokenTests.seconds
        let values: [Int64?] = [nil, .max, .min, .max - 1, 0, -1, now, now + 30, now + 3600, now + 90_000, now - 3600, 10_000_000_000_000_000]
        for exp in values.compactMap({ $0 }) {
            for iat in values {
                for nbf in values {
                    let claims = PlatformTokenTests.claims(["exp": exp, "iat": iat, "nbf": nbf])
                    let failure = PlatformTokenTests.failure(PlatformTokenTests.token(claims: claims))
                    let issued = iat ?? now
                    let acceptable = exp > now && (nbf ?? now) <= now + 60 && issued <= now + 60
                        && Int128(exp) - Int128(issued) <= 86_400 && Int128(exp) - Int128(now) <= 86_400 + 60
                    #expect((failure == nil) == acceptable, "exp=\(exp) iat=\(String(describing: iat)) nbf=\(String(describing: nbf)): \(String(describing: failure))")
                }
            }
        }
    }
}
