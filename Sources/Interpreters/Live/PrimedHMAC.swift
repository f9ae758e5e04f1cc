import Core
import Crypto

/// HMAC-SHA256 under one fixed key with the key absorbed once (issue 16: `HMAC.init(key:)` hashes the
/// padded key — two extra SHA-256 blocks and a few allocations — and was paid per webhook delivery for
/// the signature, and again for every redacted email in its journal row).
public enum PrimedHMAC {
    /// `CryptoHMAC.sha256` for `key`: the same bytes, from a copy of the primed state. A call with any
    /// other key is computed the plain way.
    public static func sha256(primedWith key: [UInt8]) -> WebhookSignature.HMAC {
        let primed = HMAC<SHA256>(key: SymmetricKey(data: key))
        return { callKey, message in
            guard callKey == key else { return CryptoHMAC.sha256(callKey, message) }
            var hmac = primed
            hmac.update(data: message)
            return Array(hmac.finalize())
        }
    }
}
