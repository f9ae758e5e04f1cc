@testable import Core
import Effects
import Foundation
import Testing

/// Issue 6 item 5: the per-user booking cap is tracked in rolling windows; booking calls are held
/// before the cap (the conversation then hands out the attributed link), a 429 feeds the tracker, and
/// passing 80 % of the daily cap raises one admin alert a day.
@Suite struct BookingQuotaTests {
    typealias F = Fixtures

    static func describe(_ decision: BookingQuota.Decision) -> String {
        switch decision {
        case .send(let alert): return alert.map { "send alert(used=\($0.used) cap=\($0.cap))" } ?? "send"
        case .hold(let until): return "hold until=\(until)"
        }
    }

    static func admit(_ t: inout Transcript, _ quota: inout BookingQuota, at now: Instant) -> BookingQuota.Decision {
        let decision = quota.admit(at: now)
        t.call("admit at=\(now)", outputs: [describe(decision)], "tier=\(quota.tier.rawValue) sent=\(quota.sent.count) blockedUntil=\(quota.blockedUntil?.iso8601 ?? "-")")
        return decision
    }

    @Test func QUOTA1_standardTierWindowsAlertAnd429() {
        var t = Transcript("paid non-enterprise caps (10/min, 50/h, 100/day per Calendly user) hold the 11th call of a minute and the 51st of an hour; the 81st of a day raises the admin alert once; a 429 holds everything until its reset")
        var quota = BookingQuota(tier: .standard)
        var now = VirtualClock.base
        t.section("a burst: ten in a minute go, the eleventh waits for the oldest to leave the minute")
        for _ in 0..<10 { #expect(Self.admit(&t, &quota, at: now) == .send(alert: nil)); now = now + .seconds(1) }
        #expect(Self.admit(&t, &quota, at: now) == .hold(until: VirtualClock.base + .minutes(1) + .milliseconds(1)))

        t.section("steady use: the hour's cap")
        now = VirtualClock.base + .minutes(2)
        var sent = 10
        while sent < 50 { if case .send = quota.admit(at: now) { sent += 1 }; now = now + .seconds(10) }
        #expect(Self.admit(&t, &quota, at: now) == .hold(until: VirtualClock.base + .hours(1) + .milliseconds(1)))

        t.section("over the day: the 81st call passes 80 % of the daily cap and alerts, once")
        now = VirtualClock.base + .hours(2)
        var alerts: [BookingQuota.Usage] = []
        while sent < 100 {
            if case .send(let alert) = quota.admit(at: now) { sent += 1; if let alert { alerts.append(alert) } }
            now = now + .minutes(5)
        }
        #expect(alerts == [BookingQuota.Usage(used: 81, cap: 100)])
        #expect({ if case .hold = Self.admit(&t, &quota, at: now) { true } else { false } }())

        t.section("a 429 from Calendly: nothing goes out until its reset, even with room in every window")
        var fresh = BookingQuota(tier: .standard)
        _ = Self.admit(&t, &fresh, at: now)
        fresh.rateLimited(at: now, retryAfter: .seconds(30))
        t.call("429 at=\(now) retryAfter=30s", outputs: [], "blockedUntil=\(fresh.blockedUntil?.iso8601 ?? "-")")
        #expect(Self.admit(&t, &fresh, at: now + .seconds(29)) == .hold(until: now + .seconds(30)))
        #expect(Self.admit(&t, &fresh, at: now + .seconds(30)) == .send(alert: nil))
        t.verify()
    }

    @Test func QUOTA2_trialAndEnterpriseAndTheConversationFallback() {
        var w = BookingWorld(Transcript("trial allows five a day (the fifth alerts), enterprise 500 a minute with no daily alert; a held call reaches the conversation as rate_limited and ends at the attributed link, never a second send"))
        var trial = BookingQuota(tier: .trial)
        for index in 0..<5 {
            let decision = Self.admit(&w.transcript, &trial, at: w.now + .hours(Int64(index)))
            #expect(decision == .send(alert: index == 4 ? BookingQuota.Usage(used: 5, cap: 5) : nil))
        }
        #expect(Self.admit(&w.transcript, &trial, at: w.now + .hours(5)) == .hold(until: w.now + .days(1) + .milliseconds(1)))
        var enterprise = BookingQuota(tier: .enterprise)
        for _ in 0..<500 { _ = enterprise.admit(at: w.now) }
        #expect(Self.admit(&w.transcript, &enterprise, at: w.now) == .hold(until: w.now + .minutes(1) + .milliseconds(1)))
        #expect(BookingQuota.Tier.enterprise.dailyCap == nil)

        w.transcript.section("the guard holds the booking call: the conversation apologises with the attributed link")
        w.trigger("conv-q1", F.setup(), channel: .whatsapp)
        w.calendly("conv-q1", .availableTimes(F.slots(3)))
        w.tap("conv-q1", "o1s1")
        let held = w.calendly("conv-q1", .failed(.rateLimited(retryAfter: .hours(19))))
        #expect(F.texts(held) == [Copy.apology(link: F.fallbackLink)])
        #expect(F.events(held) == [.bookingFailed(agent: F.agent, conversation: "conv-q1", reason: "rate_limited", at: w.now)])
        #expect(F.calls(held).isEmpty, "no retry of the booking call")
        #expect(AlertRules.evaluate([.bookingQuotaHigh(owner: F.user, used: 5, cap: 5, at: w.now)], now: w.now + .hours(1)).map(\.rule) == [.bookingQuotaHigh])
        #expect(AlertRules.evaluate([.bookingQuotaHigh(owner: F.user, used: 5, cap: 5, at: w.now)], now: w.now + .days(2)).isEmpty)
        w.transcript.verify()
    }
}
