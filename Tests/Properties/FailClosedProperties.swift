import Core
import Effects
import Interpreters
import PropertyBased
import Testing

/// Issue 10: no input reaches a trap in the core. Extreme numbers (Int64.max/min, 1e16), 100k-character
/// headers and invalid UTF-8 go through the webhook signature check, the time arithmetic and the
/// Calendly error classifier; each case below crashed the process (or could) before the fix.
@Suite struct FailClosedProperties {
    static let signature = WebhookSignature(key: Array("whsec-test".utf8), hmac: CryptoHMAC.sha256)
    static let now = Instant(iso8601: "2026-11-25T03:00:00Z")!
    static let zeros = String(repeating: "0", count: 64)

    /// Picks an extreme (or ordinary) Int64: the generator alone would almost never hit the ends.
    static func extreme(_ pick: Int, _ random: Int64) -> Int64 {
        [Int64.max, .min, .max - 1, .min + 1, 0, -1, 10_000_000_000_000_000, now.secondsSince1970, random][pick]
    }

    // MARK: - Signature timestamps

    @Test func theIssuesOverflowingTimestampsAreRefusedNotTrapped() {
        for t in ["9223372036854775807", "-9223372036854775808", "10000000000000000", "9223372036854775808", "+1795572600", "-1", "0x10", "١٧٩٥٥٧٢٦٠٠"] {
            let failure = Self.signature.verify(header: "t=\(t),v1=\(Self.zeros)", body: Array("{}".utf8), now: Self.now)
            #expect(failure == .malformedHeader || failure == .staleTimestamp, "t=\(t): \(String(describing: failure))")
        }
        // In bounds but far off: stale.
        #expect(Self.signature.verify(header: "t=999999999999,v1=\(Self.zeros)", body: [], now: Self.now) == .staleTimestamp)
        #expect(Self.signature.verify(header: "t=0,v1=\(Self.zeros)", body: [], now: Self.now) == .staleTimestamp)
    }

    @Test func anyClockAndAnyTimestampGiveAVerdictWithoutTrapping() async {
        await propertyCheck(count: 500, input: Gen.int(in: 0...8), Gen.int64(), Gen.int(in: 0...8), Gen.int64()) { pickNow, randomNow, pickT, randomT in
            let nowMillis = Self.extreme(pickNow, randomNow)
            let t = Self.extreme(pickT, randomT)
            let now = Instant(millisecondsSince1970: nowMillis)
            let body = Array("{}".utf8)
            let header = "t=\(t),v1=\(Self.zeros)"
            let failure = Self.signature.verify(header: header, body: body, now: now)
            #expect(failure != nil, "a zero signature never verifies")
            // A correctly signed delivery is accepted exactly when its time is within the tolerance.
            let signed = Self.signature.header(for: body, at: now)
            #expect(Self.signature.verify(header: signed, body: body, now: now) == (now.secondsSince1970 >= 0 && now.secondsSince1970 < 1_000_000_000_000 ? nil : .malformedHeader),
                    "signed at \(now.millisecondsSince1970)")
        }
    }

    @Test func hugeAndInvalidHeadersAndBodiesAreRefused() {
        let long = String(repeating: "a", count: 100_000)
        let headers = [long, "t=" + String(repeating: "9", count: 100_000) + ",v1=\(Self.zeros)", "t=1,v1=" + String(repeating: "f", count: 100_000),
                       String(repeating: "v1=\(Self.zeros),", count: 2_000) + "t=1795572600", "t=1795572600," + String(repeating: ",", count: 100_000),
                       "t=\u{0}1795572600,v1=\(Self.zeros)", "t=1795572600,v1=\(String(repeating: "é", count: 32))", ""]
        let invalidUTF8: [UInt8] = [0xff, 0xfe, 0xc3, 0x28, 0xa0, 0xa1, 0xe2, 0x28, 0xa1, 0xf0, 0x90, 0x28, 0xbc]
        for header in headers {
            for body in [[], invalidUTF8, [UInt8](repeating: 0x80, count: 100_000)] {
                let failure = Self.signature.verify(header: header, body: body, now: Self.now)
                #expect(failure != nil, "\(header.prefix(40))…")
            }
        }
        // Invalid UTF-8, correctly signed: a dead letter (acknowledged, kept), never a crash or a 4xx.
        let delivery = WebhookIntake.Delivery(signatureHeader: Self.signature.header(for: invalidUTF8, at: Self.now), body: invalidUTF8)
        #expect(WebhookIntake.judge(delivery, at: Self.now, signature: Self.signature, processed: [:]) == .deadLettered(reason: "malformed_json"))
    }

    @Test func moreThanAFewSignaturesIsMalformed() {
        let body = Array("{}".utf8)
        let good = Self.signature.header(for: body, at: Self.now)
        let padded = String(repeating: "v1=\(Self.zeros),", count: 7) + good
        #expect(Self.signature.verify(header: padded, body: body, now: Self.now) == nil, "up to eight candidates (key rotation)")
        let flooded = String(repeating: "v1=\(Self.zeros),", count: 8) + good
        #expect(Self.signature.verify(header: flooded, body: body, now: Self.now) == .malformedHeader)
    }

    // MARK: - Time arithmetic

    @Test func instantAndSpanArithmeticSaturates() {
        let latest = Instant(millisecondsSince1970: .max), earliest = Instant(millisecondsSince1970: .min)
        #expect((latest + .days(1)).millisecondsSince1970 == .max)
        #expect((earliest - .days(1)).millisecondsSince1970 == .min)
        #expect((latest - earliest).milliseconds == .max)
        #expect((earliest - latest).milliseconds == .min)
        #expect(Span.seconds(.max).milliseconds == .max && Span.seconds(.min).milliseconds == .min)
        #expect(Span.days(Int64.max / 2).milliseconds == .max)
        #expect((Span.hours(1) * .min).milliseconds == .min)
        #expect((Span(milliseconds: .max) + .seconds(1)).milliseconds == .max)
        #expect(Span(milliseconds: .min).magnitude.milliseconds == .max)
        #expect(Instant(secondsSince1970: .max).millisecondsSince1970 == .max)
        // Ordinary values are exact.
        #expect((Self.now + .minutes(3) - Self.now).milliseconds == 180_000)
    }

    @Test func saturatingOperationsAgreeWithExactArithmeticWhenItFits() async {
        await propertyCheck(count: 500, input: Gen.int64(), Gen.int64()) { a, b in
            let sum = Int128(a) + Int128(b), difference = Int128(a) - Int128(b), product = Int128(a) * Int128(b)
            func clamp(_ value: Int128) -> Int64 { Int64(max(Int128(Int64.min), min(Int128(Int64.max), value))) }
            #expect(a.saturatingAdding(b) == clamp(sum))
            #expect(a.saturatingSubtracting(b) == clamp(difference))
            #expect(a.saturatingMultiplied(by: b) == clamp(product))
        }
    }

    @Test func floorDivisionIsTotalAndExact() async {
        await propertyCheck(count: 500, input: Gen.int(in: 0...8), Gen.int64(), Gen.int(in: 0...3)) { pick, random, pickDivisor in
            let value = Self.extreme(pick, random)
            let divisor = [Int64(7), 1000, 86_400, 86_400_000][pickDivisor]
            let wide = Int128(value), d = Int128(divisor)
            var quotient = wide / d
            if wide % d != 0 && (wide < 0) != (d < 0) { quotient -= 1 }
            #expect(Int128(value.floorDiv(divisor)) == quotient)
            #expect(Int128(value.floorMod(divisor)) == wide - quotient * d)
        }
    }

    @Test func storedExtremeTimesDoNotTrapTheRetentionRules() {
        for millis in [Int64.max, .min, .max - 1] {
            let at = Instant(millisecondsSince1970: millis)
            let intent = BookingIntent(key: BookingKey("c#1"), agent: "a", conversation: ConversationID("c"), eventType: "https://api.calendly.com/event_types/E",
                                       start: at, email: "a@b.co", recordedAt: at)
            var reference: BookingReference?
            _ = BookingReference.reduce(&reference, .intentRecorded(intent))
            _ = reference?.expiresAt
            _ = at.iso8601
            _ = LocalTime(zoneIdentifier: "Asia/Jakarta").components(of: at)
            _ = Retention.sweep(now: at)
            var intake = WebhookIntake()
            _ = WebhookIntake.reduce(&intake, .retentionSweep(now: at), signature: Self.signature)
        }
    }

    @Test func anEnormousRetryAfterIsALongWaitNotATrap() {
        let seconds = CalendlyErrorClassifier.retryAfterSeconds(retryAfter: "9223372036854775807", rateLimitReset: nil)
        #expect(seconds == Int.max)
        #expect(CalendlyErrorClassifier.classify(status: 429, body: [], retryAfterSeconds: seconds) == .rateLimited(retryAfter: Span(milliseconds: .max)))
    }

    // MARK: - Unauthenticated and unreadable deliveries

    @Test func unsignedDeliveriesLeaveNoTraceAndSignedGarbageIsDeadLettered() {
        var intake = WebhookIntake()
        let body = Array(#"{"event":"invitee.created","payload":{}}"#.utf8)
        for header in [nil, "t=9223372036854775807,v1=\(Self.zeros)", WebhookSignature(key: Array("forged".utf8), hmac: CryptoHMAC.sha256).header(for: body, at: Self.now)] {
            let delivery = WebhookIntake.Delivery(signatureHeader: header, body: body)
            guard case .rejected = WebhookIntake.judge(delivery, at: Self.now, signature: Self.signature, processed: [:]) else {
                Issue.record("\(String(describing: header)) was not rejected"); continue
            }
            #expect(WebhookIntake.reduce(&intake, .delivered(delivery, at: Self.now), signature: Self.signature).isEmpty, "no telemetry for a stranger")
        }
        let signed = WebhookIntake.Delivery(signatureHeader: Self.signature.header(for: body, at: Self.now), body: body)
        #expect(WebhookIntake.judge(signed, at: Self.now, signature: Self.signature, processed: [:]) == .deadLettered(reason: "missing_field:payload.uri"))
        #expect(WebhookIntake.reduce(&intake, .delivered(signed, at: Self.now), signature: Self.signature)
            == [.emit(.webhookRejected(reason: "missing_field:payload.uri", at: Self.now))])
        #expect(intake.processed.isEmpty)
    }

    @Test func aDeadLetterKeepsAtMostTheBodyLimit() {
        let letter = WebhookDeadLetter(reason: "malformed_json", receivedAt: Self.now, body: [UInt8](repeating: 65, count: WebhookIntake.maxBodyBytes * 2))
        #expect(letter.body.count == WebhookIntake.maxBodyBytes)
    }

    @Test func deadLettersRaiseAnAlertButUnknownBookingsDoNot() {
        let unknown = TelemetryEvent.webhookRejected(reason: BookingReference.unknownEventReason, at: Self.now)
        #expect(AlertRules.evaluate([unknown, unknown, unknown], now: Self.now).isEmpty)
        let dead = TelemetryEvent.webhookRejected(reason: "malformed_json", at: Self.now - .minutes(5))
        let alerts = AlertRules.evaluate([unknown, dead], now: Self.now)
        #expect(alerts.map(\.rule) == [.webhookDeadLetters] && alerts.first?.observed == 1)
        #expect(AlertRules.evaluate([dead], now: Self.now + .hours(2)).isEmpty, "an hour later it has cleared")
    }
}
