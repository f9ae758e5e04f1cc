import Core
import Crypto
import Effects
import Foundation

/// The platform's signed caller token: a JWT (HS256 only) with `sub`, `account`, `role`, `features`,
/// `addons`, `flags`, `exp`, `iat` and, when configured, `iss`/`aud`.
///
/// Verification fails closed (issue 10): the algorithm is pinned to HS256 (`none`, HS512, RS256… refused
/// before the signature is looked at), a `crit` header is refused (we implement no extension), the
/// signature is compared in constant time, `exp` is required, `nbf`/`iat` may not lie in the future beyond
/// `Policy.skew`, the lifetime is capped, `iss`/`aud` are checked when configured, and the account must
/// be a valid path id (it becomes the namespace prefix `account:`).
///
/// Hand-written over swift-crypto rather than vapor/jwt-kit: HS256 with a fixed claim set is ~150 lines
/// here, every rule above has a test, and jwt-kit would add its dependency tree (and minutes per build on
/// the 2-core CI) for algorithms we must refuse anyway.
public struct PlatformToken: Sendable {
    public enum Failure: Error, Equatable, Sendable, CustomStringConvertible {
        case missing, malformed, badSignature, unsupportedAlgorithm, unsupportedHeader, expired, notYetValid, lifetimeTooLong,
             wrongIssuer, wrongAudience, invalidClaims
        public var description: String {
            switch self {
            case .missing: return "missing bearer token"
            case .malformed: return "malformed token"
            case .badSignature: return "bad token signature"
            case .unsupportedAlgorithm: return "unsupported token algorithm"
            case .unsupportedHeader: return "unsupported critical token header"
            case .expired: return "token expired"
            case .notYetValid: return "token not valid yet"
            case .lifetimeTooLong: return "token lifetime too long"
            case .wrongIssuer: return "wrong token issuer"
            case .wrongAudience: return "wrong token audience"
            case .invalidClaims: return "invalid token claims"
            }
        }
    }

    /// What a token must satisfy besides its signature; from the environment (`Policy.load`).
    public struct Policy: Sendable, Equatable {
        /// `iss` must equal this when set.
        public var issuer: String?
        /// `aud` (a string or an array of strings) must contain this when set.
        public var audience: String?
        /// Longest accepted `exp - iat` (and `exp - now`): a stolen token is useful for at most this long.
        public var maxLifetime: Span
        /// Clock difference tolerated between the platform and this service for `nbf`, `iat` and the lifetime.
        public var skew: Span

        public static let defaultMaxLifetime = Span.hours(24)
        public static let maxLifetimeLimitHours: Int64 = 24 * 30

        public init(issuer: String? = nil, audience: String? = nil, maxLifetime: Span = Policy.defaultMaxLifetime, skew: Span = .seconds(60)) {
            self.issuer = issuer; self.audience = audience; self.maxLifetime = maxLifetime; self.skew = skew
        }

        /// Reads `PLATFORM_JWT_ISSUER`, `PLATFORM_JWT_AUDIENCE` and `PLATFORM_JWT_MAX_LIFETIME_HOURS` (1…720, default 24).
        static func load(_ environment: [String: String], problems: inout [String]) -> Policy {
            func text(_ name: String) -> String? {
                guard let value = environment[name]?.trimmingCharacters(in: .whitespaces), !value.isEmpty else { return nil }
                return value
            }
            var policy = Policy(issuer: text("PLATFORM_JWT_ISSUER"), audience: text("PLATFORM_JWT_AUDIENCE"))
            if let hours = text("PLATFORM_JWT_MAX_LIFETIME_HOURS") {
                if hours.count <= 4, let value = Int64(hours), (1...maxLifetimeLimitHours).contains(value) { policy.maxLifetime = .hours(value) } else {
                    problems.append("PLATFORM_JWT_MAX_LIFETIME_HOURS must be a whole number of hours, 1…\(maxLifetimeLimitHours)")
                }
            }
            return policy
        }
    }

    /// `aud` is a string or an array of strings (RFC 7519 §4.1.3).
    struct Audience: Codable, Equatable {
        var values: [String]
        init(_ values: [String]) { self.values = values }
        init(from decoder: any Decoder) throws {
            let container = try decoder.singleValueContainer()
            if let one = try? container.decode(String.self) { values = [one] } else { values = try container.decode([String].self) }
        }
        func encode(to encoder: any Encoder) throws {
            var container = encoder.singleValueContainer()
            if values.count == 1 { try container.encode(values[0]) } else { try container.encode(values) }
        }
    }

    struct Claims: Codable {
        var sub: String
        var account: String
        var role: String
        var features: [String]?
        var addons: [String]?
        var flags: [String]?
        var exp: Int64
        var iat: Int64?
        var nbf: Int64?
        var iss: String?
        var aud: Audience?
    }

    /// Longer than any token the platform issues; a bigger header is refused before any decoding work.
    static let maxTokenLength = 8 * 1024
    static let maxSubjectLength = 256

    let key: SymmetricKey
    public let policy: Policy

    public init(secret: [UInt8], policy: Policy = Policy()) {
        key = SymmetricKey(data: secret)
        self.policy = policy
    }

    /// Signs like the platform does, with this service's `iss`/`aud` when configured (dev tokens, tests).
    public func sign(_ principal: Principal, issuedAt: Instant, lifetime: Span) -> String {
        let header = Self.base64URL(Data(#"{"alg":"HS256","typ":"JWT"}"#.utf8))
        let claims = Claims(sub: principal.subject, account: principal.account.rawValue, role: principal.role.rawValue, features: principal.features,
                            addons: principal.addons, flags: principal.flags, exp: (issuedAt + lifetime).secondsSince1970, iat: issuedAt.secondsSince1970,
                            iss: policy.issuer, aud: policy.audience.map { Audience([$0]) })
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let payload = Self.base64URL((try? encoder.encode(claims)) ?? Data())
        let signingInput = header + "." + payload
        let signature = HMAC<SHA256>.authenticationCode(for: Data(signingInput.utf8), using: key)
        return signingInput + "." + Self.base64URL(Data(signature))
    }

    public func verify(authorization: String?, now: Instant) -> Result<Principal, Failure> {
        guard let authorization, authorization.prefix(7).lowercased() == "bearer " else { return .failure(.missing) }
        guard authorization.utf8.count <= Self.maxTokenLength + 7 else { return .failure(.malformed) }
        let token = authorization.dropFirst(7).trimmingCharacters(in: .whitespaces)
        let parts = token.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3, let headerData = Self.decodeBase64URL(String(parts[0])), let payloadData = Self.decodeBase64URL(String(parts[1])),
              let signature = Self.decodeBase64URL(String(parts[2])) else { return .failure(.malformed) }
        guard let header = try? JSONSerialization.jsonObject(with: headerData) as? [String: Any] else { return .failure(.malformed) }
        guard header["alg"] as? String == "HS256" else { return .failure(.unsupportedAlgorithm) }
        // RFC 7515 §4.1.11: a recipient that does not understand a `crit` extension must refuse the token.
        guard header["crit"] == nil else { return .failure(.unsupportedHeader) }
        let signingInput = Data("\(parts[0]).\(parts[1])".utf8)
        guard HMAC<SHA256>.isValidAuthenticationCode(signature, authenticating: signingInput, using: key) else { return .failure(.badSignature) }
        guard let claims = try? JSONDecoder().decode(Claims.self, from: payloadData), let role = Role(rawValue: claims.role),
              (1...Self.maxSubjectLength).contains(claims.sub.utf8.count), Self.validAccount(claims.account) else { return .failure(.invalidClaims) }
        if let failure = checkTimes(claims, now: now) { return .failure(failure) }
        if let issuer = policy.issuer, claims.iss != issuer { return .failure(.wrongIssuer) }
        if let audience = policy.audience, !(claims.aud?.values.contains(audience) ?? false) { return .failure(.wrongAudience) }
        return .success(Principal(subject: claims.sub, account: AccountID(claims.account), role: role, features: claims.features ?? [],
                                  addons: claims.addons ?? [], flags: claims.flags ?? []))
    }

    /// `exp`, `nbf`, `iat` and the lifetime, in seconds, with saturating arithmetic (the numbers are the caller's).
    func checkTimes(_ claims: Claims, now: Instant) -> Failure? {
        let current = now.secondsSince1970
        let skew = policy.skew.milliseconds / 1000
        let maxLifetime = policy.maxLifetime.milliseconds / 1000
        guard claims.exp > current else { return .expired }
        if let nbf = claims.nbf, nbf > current.saturatingAdding(skew) { return .notYetValid }
        if let iat = claims.iat, iat > current.saturatingAdding(skew) { return .notYetValid }
        // Without `iat` the lifetime is measured from now; with it, from issue — either way at most `maxLifetime`.
        let issued = claims.iat ?? current
        guard claims.exp.saturatingSubtracting(issued) <= maxLifetime, claims.exp.saturatingSubtracting(current) <= maxLifetime.saturatingAdding(skew) else {
            return .lifetimeTooLong
        }
        return nil
    }

    /// Accounts become the `account:` prefix of every agent and conversation id, so they follow the path-id
    /// rule (no `:`, not `.` or `..`).
    static func validAccount(_ account: String) -> Bool { ResourceID.valid(account) != nil }

    static func base64URL(_ data: Data) -> String {
        data.base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
    }

    /// Strict base64url: only the URL alphabet, no padding, no length that no encoding produces.
    static func decodeBase64URL(_ text: String) -> Data? {
        guard text.utf8.count % 4 != 1, text.utf8.allSatisfy({ byte in
            (byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z")) || (byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "z"))
                || (byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9")) || byte == UInt8(ascii: "-") || byte == UInt8(ascii: "_")
        }) else { return nil }
        var base64 = text.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while base64.utf8.count % 4 != 0 { base64 += "=" }
        return Data(base64Encoded: base64)
    }
}
