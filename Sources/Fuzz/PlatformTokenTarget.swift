import Core
import Crypto
import Effects
import Foundation

/// The bearer token on every admin and runtime request (Host/PlatformToken.swift, compiled into this
/// module through the symlink in Host/). Input: a mode byte, then
/// - even: the `Authorization` header value as sent — the parser before the signature check;
/// - odd: a JWT header JSON, a newline, a claims JSON — signed here with the service's key, so the
///   fuzzer reaches the claims decoding a forger could only reach with the key.
enum PlatformTokenTarget {
    static let secret = Array("fuzz-platform-secret-0123456789abcdef".utf8)
    static let verifier = PlatformToken(secret: secret)
    static let now = Instant(secondsSince1970: 1_780_000_000)

    static func run(_ input: [UInt8]) {
        let rest = Array(input.dropFirst())
        let authorization: String
        if (input.first ?? 0) & 1 == 0 {
            authorization = String(decoding: rest, as: UTF8.self)
        } else {
            let (header, claims) = splitAtNewline(rest)
            let signingInput = PlatformToken.base64URL(Data(header)) + "." + PlatformToken.base64URL(Data(claims))
            let signature = HMAC<SHA256>.authenticationCode(for: Data(signingInput.utf8), using: SymmetricKey(data: secret))
            authorization = "Bearer " + signingInput + "." + PlatformToken.base64URL(Data(signature))
        }
        guard case .success(let principal) = verifier.verify(authorization: authorization, now: now) else { return }
        check(!principal.subject.isEmpty && !principal.account.rawValue.isEmpty, "a principal without subject or account")
        // What the service accepts, it can also issue: the principal survives a sign/verify round trip.
        let reissued = verifier.verify(authorization: "Bearer " + verifier.sign(principal, issuedAt: now, lifetime: .minutes(5)), now: now)
        check(reissued == .success(principal), "round trip changed the principal: \(reissued)")
        // A token signed with another key is refused whatever it says.
        let forged = PlatformToken(secret: Array("another key".utf8)).sign(principal, issuedAt: now, lifetime: .minutes(5))
        if case .success = verifier.verify(authorization: "Bearer " + forged, now: now) { check(false, "accepted a token signed with another key") }
    }
}
