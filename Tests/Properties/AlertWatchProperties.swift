import Core
import Effects
import Interpreters
import PropertyBased
import Testing

/// The incremental `AlertWatch` (sliding tallies) decides exactly what re-evaluating the kept hour of
/// events on every event decided before it: same alerts started, in the same order, with the same figures,
/// for any sequence — bursts, lulls, time stepping back (concurrent requests report out of order) and
/// instants at the ends of Int64. PropertyBased prints the seed of a failing run.
@Suite struct AlertWatchProperties {
    /// The watch as it was: keep the last hour of events, evaluate all of them on each one.
    struct RecomputingWatch {
        var recent: [TelemetryEvent] = []
        var firing: Set<String> = []

        mutating func observe(_ event: TelemetryEvent) -> [AlertRules.Alert] {
            let now = event.at
            recent.append(event)
            recent.removeAll { $0.at <= now - AlertWatch.window }
            let alerts = AlertRules.evaluate(recent, now: now)
            let byKey = Dictionary(alerts.map { (Self.key($0), $0) }, uniquingKeysWith: { first, _ in first })
            let started = byKey.filter { !firing.contains($0.key) }.sorted { $0.key < $1.key }.map(\.value)
            firing = Set(byKey.keys)
            return started
        }

        static func key(_ alert: AlertRules.Alert) -> String { alert.rule.rawValue + "|" + (alert.agent?.rawValue ?? "") }
    }

    static let start = Instant(iso8601: "2026-11-25T00:00:00Z")!
    static let agents = [AgentID("acme:bot"), AgentID("acme:other"), AgentID("zeta:bot")]
    static let owners = [CalendlyURI("https://api.calendly.com/users/A"), CalendlyURI("https://api.calendly.com/users/B")]

    static func event(_ draw: inout SeededGenerator, at: Instant) -> TelemetryEvent {
        let agent = agents[Int(draw.next() % UInt64(agents.count))]
        let conversation = ConversationID("c\(draw.next() % 50)")
        // Weighted toward the signals the rules count, so thresholds are crossed both ways.
        switch draw.next() % 12 {
        case 0, 1, 2: return .bookingOffered(agent: agent, conversation: conversation, eventType: CalendlyURI("e"), channel: .text, at: at)
        case 3, 4: return .bookingFailed(agent: agent, conversation: conversation, reason: "timeout", at: at)
        case 5: return .connectFailed(agent: agent, reason: "access_denied", at: at)
        case 6: return .eventTypesFetchFailed(agent: agent, reason: "timeout", cacheUsed: draw.next() % 3 == 0, at: at)
        case 7:
            let used = [Int.min, -1, 0, 4, 5, 9, Int.max][Int(draw.next() % 7)]
            return .bookingQuotaHigh(owner: owners[Int(draw.next() % 2)], used: used, cap: 5, at: at)
        case 8: return .webhookRejected(reason: draw.next() % 2 == 0 ? BookingReference.unknownEventReason : "malformed_json", at: at)
        case 9: return .bookingCreated(agent: agent, conversation: conversation, eventType: CalendlyURI("e"), scheduledTime: at, at: at)
        case 10: return .slotConflict(agent: agent, conversation: conversation, eventType: CalendlyURI("e"), at: at)
        default: return .connected(agent: agent, accountEmail: "a@example.com", organization: CalendlyURI("o"), at: at)
        }
    }

    /// The next event's time: mostly small steps forward, sometimes a lull past a window, a step back, a
    /// repeat of the same millisecond, or a jump to an end of Int64 (saturating arithmetic at the edges).
    static func next(after now: Instant, _ draw: inout SeededGenerator) -> Instant {
        switch draw.next() % 20 {
        case 0: return now + .minutes(Int64(draw.next() % 90))
        case 1: return now - .minutes(Int64(draw.next() % 70))
        case 2: return now - .seconds(Int64(draw.next() % 30))
        case 3: return now
        case 4: return draw.next() % 4 == 0 ? Instant(millisecondsSince1970: draw.next() % 2 == 0 ? .min : .max) : now
        case 5: return Instant(millisecondsSince1970: (draw.next() % 2 == 0 ? Int64.min : Int64.max - 3_600_000).saturatingAdding(Int64(draw.next() % 7_200_000)))
        case 6: return now + .hours(1)
        case 7: return now - .minutes(15)
        default: return now + .milliseconds(Int64(draw.next() % 20_000))
        }
    }

    @Test func incrementalWatchDecidesWhatRecomputingTheHourDecided() async {
        await propertyCheck(count: 200, input: Gen.uint64(in: 0...UInt64.max), Gen.int(in: 1...600)) { seed, length in
            var draw = SeededGenerator(seed: seed)
            var incremental = AlertWatch(), recomputing = RecomputingWatch()
            var now = Self.start
            for step in 0..<length {
                // Long stretches near the ends of time as well as near today.
                if step == length / 2, draw.next() % 3 == 0 { now = Instant(millisecondsSince1970: Int64.max - 1_800_000) }
                now = Self.next(after: now, &draw)
                let event = Self.event(&draw, at: now)
                let expected = recomputing.observe(event)
                let got = incremental.observe(event)
                #expect(got == expected, "seed \(seed), step \(step) of \(length): \(event)")
                if got != expected { return }
            }
        }
    }

    /// The property above must reach alerts to mean anything: this fixed run starts every rule at least once.
    @Test func theGeneratedSequencesStartEveryRule() {
        var started: Set<AlertRules.Rule> = []
        for seed in UInt64(1)...40 {
            var draw = SeededGenerator(seed: seed)
            var watch = AlertWatch(), now = Self.start
            for _ in 0..<600 {
                now = Self.next(after: now, &draw)
                for alert in watch.observe(Self.event(&draw, at: now)) { started.insert(alert.rule) }
            }
        }
        #expect(started == [.bookingFailureRate, .connectFailures, .eventTypeFetchFailures, .bookingQuotaHigh, .webhookDeadLetters])
    }

    /// Long steady runs (an event every 1.8 s) at both ends of Int64 and today agree too.
    @Test func aBusyHourAtExtremeTimesStillAgrees() {
        var incremental = AlertWatch(), recomputing = RecomputingWatch()
        var draw = SeededGenerator(seed: 7)
        for base in [Int64.min, Int64.max - 3_600_000, Self.start.millisecondsSince1970] {
            for index in 0..<2_000 {
                let event = Self.event(&draw, at: Instant(millisecondsSince1970: base.saturatingAdding(Int64(index) * 1_800)))
                #expect(incremental.observe(event) == recomputing.observe(event))
            }
        }
    }
}
