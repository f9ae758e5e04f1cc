import Core
import Crypto
import Effects
import Foundation

/// The platform's signed caller token: a JWT (HS256 only) with `sub`, `account`, `role`, `features`,
/// `addons`, `flags`, `exp`. Verification is strict: the algorithm is pinned, the signature compared
/// in constant time, `exp` required. Hand-written (≈80 lines over swift-crypto) rather than pulling a
/// JWT library and its dependency tree into every CI build.
public struct PlatformToken: Sendable {
    public enum Failure: Error, Equatable, Sendable, CustomStringConvertible {
        case missing, malformed, badSignature, unsupportedAlgorithm, expired, invalidClaims
        public var description: String {
            switch self {
            case .missing: return "missing bearer token"
            case .malformed: return "malformed token"
            case .badSignature: return "bad token signature"
            case .unsupportedAlgorithm: return "unsupported token algorithm"
            case .expired: return "token expired"
            case .invalidClaims: return "invalid token claims"
            }
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
    }

    let key: SymmetricKey

    public init(secret: [UInt8]) { key = SymmetricKey(data: secret) }

    public func sign(_ principal: Principal, issuedAt: Instant, lifetime: Span) -> String {
        let header = Self.base64URL(Data(#"{"alg":"HS256","typ":"JWT"}"#.utf8))
        let claims = Claims(sub: principal.subject, account: principal.account.rawValue, role: principal.role.rawValue, features: principal.features,
                            addons: principal.addons, flags: principal.flags, exp: (issuedAt + lifetime).secondsSince1970, iat: issuedAt.secondsSince1970)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let payload = Self.base64URL((try? encoder.encode(claims)) ?? Data())
        let signingInput = header + "." + payload
        let signature = HMAC<SHA256>.authenticationCode(for: Data(signingInput.utf8), using: key)
        return signingInput + "." + Self.base64URL(Data(signature))
    }

    public func verify(authorization: String?, now: Instant) -> Result<Principal, Failure> {
        guard let authorization, authorization.lowercased().hasPrefix("bearer ") else { return .failure(.missing) }
        let token = authorization.dropFirst(7).trimmingCharacters(in: .whitespaces)
        let parts = token.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3, let headerData = Self.decodeBase64URL(String(parts[0])), let payloadData = Self.decodeBase64URL(String(parts[1])),
              let signature = Self.decodeBase64URL(String(parts[2])) else { return .failure(.malformed) }
        guard let header = try? JSONSerialization.jsonObject(with: headerData) as? [String: Any] else { return .failure(.malformed) }
        guard header["alg"] as? String == "HS256" else { return .failure(.unsupportedAlgorithm) }
        let signingInput = Data("\(parts[0]).\(parts[1])".utf8)
        guard HMAC<SHA256>.isValidAuthenticationCode(signature, authenticating: signingInput, using: key) else { return .failure(.badSignature) }
        guard let claims = try? JSONDecoder().decode(Claims.self, from: payloadData), let role = Role(rawValue: claims.role),
              !claims.sub.isEmpty, !claims.account.isEmpty else { return .failure(.invalidClaims) }
        guard claims.exp > now.secondsSince1970 else { return .failure(.expired) }
        return .success(Principal(subject: claims.sub, account: AccountID(claims.account), role: role, features: claims.features ?? [],
                                  addons: claims.addons ?? [], flags: claims.flags ?? []))
    }

    static func base64URL(_ data: Data) -> String {
        data.base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
    }

    static func decodeBase64URL(_ text: String) -> Data? {
        var base64 = text.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while base64.count % 4 != 0 { base64 += "=" }
        return Data(base64Encoded: base64)
    }
}
