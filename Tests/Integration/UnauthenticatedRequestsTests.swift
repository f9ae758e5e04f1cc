import Effects
import Logging
import Synchronization
import Testing
@testable import Host

/// Issue 10 item 2: what a flood of unauthenticated requests leaves behind is one counter per (route,
/// reason) and at most one log line a minute — the line says how many it stands for.
@Suite struct UnauthenticatedRequestsTests {
    final class Lines: LogHandler, @unchecked Sendable {
        let lines = Mutex<[String]>([])
        var metadata: Logger.Metadata = [:]
        var logLevel: Logger.Level = .trace
        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }
        func log(event: LogEvent) {
            let suppressed = event.metadata?["suppressed_since_last"].map { "\($0)" } ?? "-"
            lines.withLock { $0.append("\(event.message) suppressed=\(suppressed)") }
        }
    }

    @Test func aFloodIsCountedInMemoryAndLoggedOncePerMinute() {
        let handler = Lines()
        let metrics = Metrics()
        let recorder = UnauthenticatedRequests(route: "/v1/webhooks/calendly", metrics: metrics, logger: Logger(label: "test") { _ in handler })
        let start = Instant(iso8601: "2026-11-25T03:00:00Z")!
        for index in 0..<10_000 { recorder.record(reason: "bad_signature", at: start + .milliseconds(Int64(index))) }
        #expect(handler.lines.withLock { $0 } == ["unauthenticated request refused suppressed=0"])
        recorder.record(reason: "missing_signature", at: start + .minutes(1) + .seconds(1))
        #expect(handler.lines.withLock { $0 }.last == "unauthenticated request refused suppressed=9999")
        let rendered = metrics.render()
        #expect(rendered.contains(#"calendly_unauthenticated_requests_total{reason="bad_signature",route="/v1/webhooks/calendly"} 10000"#))
        #expect(rendered.contains(#"calendly_unauthenticated_requests_total{reason="missing_signature",route="/v1/webhooks/calendly"} 1"#))
    }
}
