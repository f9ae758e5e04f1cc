import HTTPTypes
import Hummingbird
import Testing
@testable import Host

/// Issue 10 item 9: label values are escaped as the Prometheus text format requires, so no value can
/// end its string or its line and forge a sample.
@Suite struct MetricsEscapingTests {
    @Test func backslashQuoteAndNewlineAreEscaped() {
        let metrics = Metrics()
        metrics.increment("requests_total", labels: ["route": "a\\b\"c\nfake_total 1e9"])
        let rendered = metrics.render()
        #expect(rendered.contains(#"requests_total{route="a\\b\"c\nfake_total 1e9"} 1"#), "\(rendered)")
        #expect(!rendered.split(separator: "\n").contains { $0.hasPrefix("fake_total") }, "no forged sample line")
        #expect(Metrics.escape("plain /v1/x") == "plain /v1/x")
        #expect(Metrics.escape("\\\\") == "\\\\\\\\")
    }

    @Test func histogramLabelsAreEscapedToo() {
        let metrics = Metrics()
        metrics.observe("latency_seconds", seconds: 0.01, labels: ["route": "x\"\n"])
        let rendered = metrics.render()
        #expect(rendered.contains(#"latency_seconds_count{route="x\"\n"} 1"#), "\(rendered)")
        #expect(rendered.split(separator: "\n").allSatisfy { $0.hasPrefix("#") || $0.hasPrefix("latency_seconds") })
    }

    @Test func hugeCountersRenderWithoutTrapping() {
        let metrics = Metrics()
        metrics.increment("big_total", by: 1e300)
        #expect(metrics.render().contains("big_total 1e+300"))
    }
}

/// A made-up HTTP method must not become a new label value per request (unbounded memory for strangers).
@Suite struct RequestMethodLabelTests {
    @Test func unknownMethodsShareOneLabel() {
        #expect(RequestMetricsMiddleware<BasicRequestContext>.methodLabel(.get) == "GET")
        #expect(RequestMetricsMiddleware<BasicRequestContext>.methodLabel(.init("FOO123")!) == "other")
    }
}
