import Effects

/// Calendly's webhook signature: header `Calendly-Webhook-Signature: t=<unix seconds>,v1=<hex>`, where
/// v1 = HMAC-SHA256(signing key, "<t>.<raw body>"). Pure: the HMAC primitive is handed in, so the core
/// needs no crypto library and tests can use any implementation.
public struct WebhookSignature: Sendable {
    public typealias HMAC = @Sendable (_ key: [UInt8], _ message: [UInt8]) -> [UInt8]

    public static let headerName = "Calendly-Webhook-Signature"
    /// Deliveries older (or newer) than this are refused as replays.
    public static let tolerance = Span.minutes(3)

    public enum Failure: String, Error, Sendable, Hashable {
        case missingHeader = "missing_signature"
        case malformedHeader = "malformed_signature"
        case staleTimestamp = "stale_timestamp"
        case mismatch = "bad_signature"
    }

    public let key: [UInt8]
    public let hmac: HMAC

    public init(key: [UInt8], hmac: @escaping HMAC) { self.key = key; self.hmac = hmac }

    public func verify(header: String?, body: [UInt8], now: Instant, tolerance: Span = WebhookSignature.tolerance) -> Failure? {
        guard let header, !header.isEmpty else { return .missingHeader }
        guard let parsed = WebhookSignature.parse(header) else { return .malformedHeader }
        // `t` is bounded by the parser and the subtraction saturates: an extreme timestamp is stale,
        // never an overflow trap (issue 10: one unauthenticated request used to stop the process).
        let age = Span.seconds(now.secondsSince1970.saturatingSubtracting(parsed.timestamp))
        guard age.magnitude <= tolerance else { return .staleTimestamp }
        let expected = hmac(key, Array("\(parsed.timestamp).".utf8) + body)
        // Any of the v1 signatures may match (Calendly may send several during key rotation).
        var matched = false
        for candidate in parsed.signatures where WebhookSignature.constantTimeEquals(candidate, expected) { matched = true }
        return matched ? nil : .mismatch
    }

    /// Signs like Calendly does; used by the simulator and the emulator.
    public func header(for body: [UInt8], at time: Instant) -> String {
        let timestamp = time.secondsSince1970
        return "t=\(timestamp),v1=\(Hex.encode(hmac(key, Array("\(timestamp).".utf8) + body)))"
    }

    /// At most this many digits in `t=` (up to the year 33658): anything longer is not a time Calendly sends.
    static let maxTimestampDigits = 12
    /// At most this many `v1` signatures; Calendly sends one, or two while rotating its key.
    static let maxSignatures = 8

    static func parse(_ header: String) -> (timestamp: Int64, signatures: [[UInt8]])? {
        var timestamp: Int64?
        var signatures: [[UInt8]] = []
        for part in header.split(separator: ",") {
            let pair = part.split(separator: "=", maxSplits: 1)
            guard pair.count == 2 else { return nil }
            let name = pair[0].trimmingWhitespaceSubstring(), value = pair[1].trimmingWhitespaceSubstring()
            // Unknown schemes (e.g. a future v2) are skipped, not rejected.
            if name == "t" {
                // Plain ASCII digits only (no sign, no `+`, no other scripts' digits), bounded in length.
                guard timestamp == nil, (1...maxTimestampDigits).contains(value.utf8.count),
                      value.utf8.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }), let parsed = Int64(value) else { return nil }
                timestamp = parsed
            } else if name == "v1" {
                guard value.utf8.count == 64, signatures.count < maxSignatures, let bytes = Hex.decode(String(value)), bytes.count == 32 else { return nil }
                signatures.append(bytes)
            }
        }
        guard let timestamp, !signatures.isEmpty else { return nil }
        return (timestamp, signatures)
    }

    /// Equal bytes, in time that depends only on the lengths (for secrets: signatures, OAuth states).
    public static func constantTimeEquals(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        guard a.count == b.count else { return false }
        var difference: UInt8 = 0
        for index in a.indices { difference |= a[index] ^ b[index] }
        return difference == 0
    }
}

public enum Hex {
    public static func encode(_ bytes: [UInt8]) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var out = [UInt8]()
        out.reserveCapacity(bytes.count * 2)
        for byte in bytes { out.append(digits[Int(byte >> 4)]); out.append(digits[Int(byte & 0xF)]) }
        return String(decoding: out, as: UTF8.self)
    }

    public static func decode(_ text: String) -> [UInt8]? {
        let utf8 = Array(text.utf8)
        guard utf8.count % 2 == 0 else { return nil }
        func nibble(_ c: UInt8) -> UInt8? {
            if (48...57).contains(c) { return c - 48 }
            if (97...102).contains(c) { return c - 87 }
            if (65...70).contains(c) { return c - 55 }
            return nil
        }
        var out = [UInt8]()
        out.reserveCapacity(utf8.count / 2)
        var index = 0
        while index < utf8.count {
            guard let high = nibble(utf8[index]), let low = nibble(utf8[index + 1]) else { return nil }
            out.append(high << 4 | low)
            index += 2
        }
        return out
    }
}

extension Substring {
    func trimmingWhitespaceSubstring() -> Substring {
        var text = self
        while let first = text.first, first.isWhitespace { text.removeFirst() }
        while let last = text.last, last.isWhitespace { text.removeLast() }
        return text
    }
}
