import Core
import Crypto
import Effects
import Foundation

/// `Calendly-Webhook-Signature` as any stranger can send it. Input: the header line, a newline, the body.
enum WebhookSignatureTarget {
    static let signer = WebhookSignature(key: Array("fuzz-signing-key".utf8)) { key, message in
        Array(HMAC<SHA256>.authenticationCode(for: message, using: SymmetricKey(data: key)))
    }
    /// A fixed clock: seeds signed at this time verify, so mutations explore past the timestamp check.
    static let now = Instant(secondsSince1970: 1_780_000_000)

    static func run(_ input: [UInt8]) {
        let (head, body) = splitAtNewline(input)
        let header = String(decoding: head, as: UTF8.self)
        let timestamps = KnownFindings.timestamps(in: header)
        if KnownFindings.skipSignatureOverflow, timestamps.contains(where: KnownFindings.overflowsSignatureAge) { return }

        if signer.verify(header: header, body: body, now: now) == nil {
            // Accepted: then the header carries the HMAC of one of its timestamps and this very body.
            let lowered = header.lowercased()
            let carried = timestamps.contains { t in
                lowered.contains(Hex.encode(signer.hmac(signer.key, Array("\(t).".utf8) + body)))
            }
            check(carried, "accepted a header without the body's HMAC: \(header.debugDescription)")
        }
        // Signing is the inverse of verifying, and the tolerance holds on both sides.
        check(signer.verify(header: signer.header(for: body, at: now), body: body, now: now) == nil, "own signature refused")
        let late = now + WebhookSignature.tolerance + .seconds(1)
        check(signer.verify(header: signer.header(for: body, at: now), body: body, now: late) == .staleTimestamp, "stale signature accepted")
    }
}
