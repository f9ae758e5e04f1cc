import Effects
import Logging
import Testing
@testable import Host

/// PRD §13 alerts in the running host: fired once when a rule starts firing, again only after it cleared.
struct AlertMonitorTests {
    static let start = Instant(iso8601: "2026-11-25T02:00:00Z")!

    @Test func sixConnectFailuresInAQuarterHourFireOnceAndRefireAfterClearing() {
        let metrics = Metrics()
        let monitor = AlertMonitor(metrics: metrics, logger: Logger(label: "test"))
        let agent = AgentID("acme:bot")
        var fired: [String] = []
        for minute in 0..<8 {
            let at = Self.start + .minutes(Int64(minute))
            fired += monitor.observe(.connectFailed(agent: agent, reason: "access_denied", at: at)).map(\.rule.rawValue)
        }
        #expect(fired == ["connect_failures"], "the sixth failure starts it; the seventh and eighth keep it firing silently")
        #expect(metrics.render().contains(#"calendly_alerts_fired_total{rule="connect_failures"} 1"#))
        // An hour later the window is clear; a new burst fires again.
        var later: [String] = []
        for minute in 0..<6 {
            later += monitor.observe(.connectFailed(agent: agent, reason: "access_denied", at: Self.start + .hours(2) + .minutes(Int64(minute)))).map(\.rule.rawValue)
        }
        #expect(later == ["connect_failures"])
    }

    @Test func failuresAboveTenPercentOfOffersPageButOneInTwentyDoesNot() {
        let monitor = AlertMonitor(metrics: Metrics(), logger: Logger(label: "test"))
        let agent = AgentID("acme:bot")
        var fired: [String] = []
        for index in 0..<20 {
            fired += monitor.observe(.bookingOffered(agent: agent, conversation: ConversationID("c\(index)"), eventType: CalendlyURI("e"), channel: .text,
                                                      at: Self.start + .seconds(Int64(index)))).map(\.rule.rawValue)
        }
        fired += monitor.observe(.bookingFailed(agent: agent, conversation: ConversationID("c1"), reason: "timeout", at: Self.start + .minutes(1))).map(\.rule.rawValue)
        #expect(fired.isEmpty, "1 of 20 is 5 %")
        fired += monitor.observe(.bookingFailed(agent: agent, conversation: ConversationID("c2"), reason: "timeout", at: Self.start + .minutes(2))).map(\.rule.rawValue)
        fired += monitor.observe(.bookingFailed(agent: agent, conversation: ConversationID("c3"), reason: "timeout", at: Self.start + .minutes(3))).map(\.rule.rawValue)
        #expect(fired == ["booking_failure_rate"], "3 of 20 is 15 %")
    }
}
